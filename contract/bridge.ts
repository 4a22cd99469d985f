// The shape of `window.desk`, the only thing the renderer gets from outside its page.
// Electron's preload provides it; `npm run web` provides the same shape over HTTP for tests.

import type { DeskApi } from './operations.ts';
import type { DeskEventName, DeskEvents, Unsubscribe } from './events.ts';

export interface DeskBridge {
  api: DeskApi;
  on<E extends DeskEventName>(event: E, listener: (payload: DeskEvents[E]) => void): Unsubscribe;
  /** 'electron' or 'web': lets the UI word things (menus exist only in Electron). */
  shell: 'electron' | 'web';
}

declare global {
  interface Window {
    desk: DeskBridge;
  }
}
