import { provideBrowserGlobalErrorListeners, provideZoneChangeDetection } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';

import { ZoneApp } from './zone-app';

// zone.js is loaded by the build's `polyfills`; change detection runs when the Angular zone
// settles, as in every Angular app before zoneless became the default.
bootstrapApplication(ZoneApp, {
  providers: [provideBrowserGlobalErrorListeners(), provideZoneChangeDetection({ eventCoalescing: true })],
}).catch((error: unknown) => console.error(error));
