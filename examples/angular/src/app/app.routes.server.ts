import { RenderMode, type ServerRoute } from '@angular/ssr';

/** Every URL is rendered per request on the server (nothing is prerendered at build time). */
export const serverRoutes: ServerRoute[] = [{ path: '**', renderMode: RenderMode.Server }];
