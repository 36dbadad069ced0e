import {
  type ApplicationConfig,
  provideBrowserGlobalErrorListeners,
  provideZonelessChangeDetection,
} from '@angular/core';
import { provideEventBus } from 'spark-channel/angular';

import { SHOP_EVENTS } from './shop-events';

export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideZonelessChangeDetection(),
    // Created the first time it is injected, closed with the app; a late subscriber first gets
    // the last event of each type.
    provideEventBus(SHOP_EVENTS, { replay: 1 }),
  ],
};
