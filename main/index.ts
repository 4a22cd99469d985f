// Entry point of the Electron main process (bundled to out/main/index.js).

import { app } from 'electron';
import { startDesktopApp } from './app.ts';

startDesktopApp({ mainDir: import.meta.dirname, devServerUrl: process.env.ELECTRON_RENDERER_URL }).catch((error: unknown) => {
  console.error('[desk] failed to start', error);
  app.exit(1);
});
