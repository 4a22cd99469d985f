// The desktop app's lifecycle: one instance per user, one database in the user's data folder, one
// window, the IPC surface and the menu, and a clean close of the database (WAL checkpointed) on quit.

import { join } from 'node:path';
import { app, dialog, ipcMain, net, powerMonitor, safeStorage, session, type BrowserWindow } from 'electron';
import type { DeskHandlers } from '../contract/operations.ts';
import { openDatabase, type LocalDatabase } from '../db/connection.ts';
import { createDeskHandlers } from '../db/desk.ts';
import { preloadFile, resolveAppPage } from './app-page.ts';
import { guardSession } from './hardening.ts';
import { createEmitter, registerDeskIpc, type DeskIpc } from './ipc.ts';
import { applyMenu } from './menu.ts';
import { watchOnline } from './online-watch.ts';
import { startSyncHost } from './sync-host.ts';
import { bringToFront, createMainWindow, productName } from './window.ts';

export const appUserModelId = 'fr.notificationdesk.app';
export const databaseFileName = 'notification-desk.db';

export interface DesktopEnvironment {
  /** Folder of the built main bundle (out/main). */
  mainDir: string;
  /** electron-vite's dev server, honoured only when unpackaged. */
  devServerUrl?: string | undefined;
}

export interface DesktopApp {
  local: LocalDatabase;
  ipc: DeskIpc;
  window(): BrowserWindow | null;
  /** Resolves once the database is closed after a quit. */
  closed: Promise<void>;
}

/** Returns null when another instance already runs: that one is brought forward and this one quits. */
export async function startDesktopApp(env: DesktopEnvironment): Promise<DesktopApp | null> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  app.enableSandbox();
  if (process.platform === 'win32') app.setAppUserModelId(appUserModelId);

  let mainWindow: BrowserWindow | null = null;
  app.on('second-instance', () => bringToFront(mainWindow));

  await app.whenReady();
  const page = resolveAppPage({ mainDir: env.mainDir, isPackaged: app.isPackaged, devServerUrl: env.devServerUrl });
  guardSession(session.defaultSession, page);

  const userDataDir = app.getPath('userData');
  let local: LocalDatabase;
  try {
    local = await openDatabase(join(userDataDir, databaseFileName));
  } catch (error) {
    console.error('[desk] cannot open the local database', error);
    dialog.showErrorBox(
      productName,
      `Impossible d’ouvrir la base locale (${String(error)}). Aucune donnée n’a été modifiée ; prévenez le support.\n\n` +
        `The local database cannot be opened. Nothing was changed; contact support.`,
    );
    app.exit(1);
    return null;
  }

  const appContents = () => (mainWindow && !mainWindow.isDestroyed() ? mainWindow.webContents : null);
  const emit = createEmitter(appContents);
  const syncHost = await startSyncHost({ local, userDataDir, emit, safeStorage }, { appVersion: app.getVersion() });
  const desk = createDeskHandlers(local, { emit, sync: syncHost.control });
  const online = watchOnline(
    {
      isOnline: () => net.isOnline(),
      onResume: (listener) => {
        powerMonitor.on('resume', listener);
        return () => powerMonitor.off('resume', listener);
      },
    },
    (isOnline) => syncHost.setOnline(isOnline),
  );

  let locale = (await desk.getSettings({})).locale;
  const showMenu = () =>
    applyMenu({ locale, platform: process.platform, isPackaged: app.isPackaged, send: (command) => emit('menuCommand', command) });
  // The menu speaks the agent's language: rebuilt as soon as they switch it in the settings.
  const handlers: DeskHandlers = {
    ...desk,
    updateSettings: async (input) => {
      const settings = await desk.updateSettings(input);
      if (settings.locale !== locale) {
        locale = settings.locale;
        showMenu();
      }
      return settings;
    },
  };
  const ipc = registerDeskIpc(ipcMain, handlers, { page, appContents });
  showMenu();

  const openWindow = () => {
    const window = createMainWindow(page, preloadFile(env.mainDir), { devTools: !app.isPackaged });
    mainWindow = window;
    window.on('closed', () => {
      if (mainWindow === window) mainWindow = null;
    });
    window.loadURL(page.url).catch((error: unknown) => console.error('[desk] cannot load the page', page.url, error));
  };
  openWindow();

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (!mainWindow) openWindow();
  });

  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let closing = false;
  let done = false;
  // Quitting waits for the sync worker to stop and the database to close, then quits for real.
  app.on('will-quit', (event) => {
    if (done) return;
    event.preventDefault();
    if (closing) return;
    closing = true;
    void (async () => {
      ipc.dispose();
      online.stop();
      try {
        await syncHost.stop();
      } catch (error) {
        console.error('[desk] sync worker did not stop cleanly', error);
      }
      try {
        await local.close();
      } catch (error) {
        console.error('[desk] database did not close cleanly', error);
      }
      done = true;
      resolveClosed();
      app.quit();
    })();
  });

  return { local, ipc, window: () => mainWindow, closed };
}
