// The shape of `window.desk`, the only thing the renderer gets from outside its page.
// Electron's preload provides it; `npm run web` provides the same shape over HTTP for tests.

import type { Result } from './errors.ts';
import type { ImportReport } from './model.ts';
import type { DeskApi } from './operations.ts';
import type { DeskEventName, DeskEvents, Unsubscribe } from './events.ts';

export interface DeskBridge {
  api: DeskApi;
  on<E extends DeskEventName>(event: E, listener: (payload: DeskEvents[E]) => void): Unsubscribe;
  /**
   * Imports the file the agent picked without its text crossing to the database worker: Electron
   * passes its path (importClientsFile); the web bridge streams it to its server, which stores it
   * and passes that path. Progress and cancelImport work as for importClients.
   */
  importFile(file: File, importId: string): Promise<Result<ImportReport>>;
  /** 'electron' or 'web': lets the UI word things (menus exist only in Electron). */
  shell: 'electron' | 'web';
}

declare global {
  interface Window {
    desk: DeskBridge;
  }
}
