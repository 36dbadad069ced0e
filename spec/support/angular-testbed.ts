// Angular's TestBed under jest, as an Angular CLI project sets it up: the JIT compiler (jest has no
// AOT step; TestBed compiles its testing module at run time) and the browser testing platform,
// over jest's jsdom environment (`@jest-environment jsdom` in the spec: the platform needs a
// document). Import it first in a spec that uses TestBed; each spec file gets its own copy.
import '@angular/compiler';

import { TestBed } from '@angular/core/testing';
import { BrowserTestingModule, platformBrowserTesting } from '@angular/platform-browser/testing';

TestBed.initTestEnvironment(BrowserTestingModule, platformBrowserTesting());
