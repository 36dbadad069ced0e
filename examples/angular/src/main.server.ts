import { type BootstrapContext, bootstrapApplication } from '@angular/platform-browser';

import { App } from './app/app';
import { config } from './app/app.config.server';

// What `ng add @angular/ssr` writes: the server bootstraps the same App with the server config,
// in the context (document, platform) that the engine makes for each request.
const bootstrap = (context: BootstrapContext) => bootstrapApplication(App, config, context);

export default bootstrap;
