// The desktop app's lifecycle: one instance per user, one window, the IPC surface and the menu. The
// database in the user's data folder is the database worker's (db/database-client.ts): main only
// routes calls to it, and asks it to close (WAL checkpointed) on quit.

import { join } from 'node:path';
import { app, dialog, ipcMain, net, Notification, powerMonitor, safeStorage, session, type BrowserWindow } from 'electron';
import type { Settings } from '../contract/model.ts';
import { DatabaseStartError, startDatabase, type DatabaseClient, type DeskCall } from '../db/database-client.ts';
import { preloadFile, resolveAppPage } from './app-page.ts';
import { guardSession } from './hardening.ts';
import { createEmitter, registerDeskIpc, withSystemNotices, type DeskIpc } from './ipc.ts';
import { applyMenu } from './menu.ts';
import { createStorageMenu } from './storage-menu.ts';
import { watchOnline } from './online-watch.ts';
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
  database: DatabaseClient;
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
  const appContents = () => (mainWindow && !mainWindow.isDestroyed() ? mainWindow.webContents : null);
  const emit = withSystemNotices(createEmitter(appContents), (notice) => new Notification(notice).show());
  let database: DatabaseClient;
  try {
    database = await startDatabase({ file: join(userDataDir, databaseFileName), emit, sync: { appVersion: app.getVersion() }, keychain: safeStorage, systemNotices: true });
  } catch (error) {
    console.error('[desk] cannot open the local database', error);
    const cause = error instanceof DatabaseStartError ? error.error.message : null;
    dialog.showErrorBox(
      productName,
      `${cause?.fr ?? `Impossible d’ouvrir la base locale (${String(error)}).`} Aucune donnée n’a été modifiée ; prévenez le support.\n\n` +
        `${cause?.en ?? 'The local database cannot be opened.'} Nothing was changed; contact support.`,
    );
    app.exit(1);
    return null;
  }

  const online = watchOnline(
    {
      isOnline: () => net.isOnline(),
      onResume: (listener) => {
        powerMonitor.on('resume', listener);
        return () => powerMonitor.off('resume', listener);
      },
    },
    (isOnline) => database.setOnline(isOnline),
  );

  const settings = await database.call('getSettings', {});
  let locale = settings.ok ? settings.value.locale : 'fr';
  const storageMenu = createStorageMenu({ database, userDataDir, window: () => mainWindow, locale: () => locale });
  const logged = (work: Promise<void>) => void work.catch((error: unknown) => console.error('[desk] menu action failed', error));
  const showMenu = () =>
    applyMenu({
      locale,
      platform: process.platform,
      isPackaged: app.isPackaged,
      send: (command) => emit('menuCommand', command),
      storage: { backup: () => logged(storageMenu.backup()), restore: () => logged(storageMenu.restore()) },
    });
  // The menu speaks the agent's language: rebuilt as soon as they switch it in the settings.
  const call: DeskCall = async (operation, input) => {
    const result = await database.call(operation, input);
    if (operation === 'updateSettings' && result.ok) {
      const saved = result.value as Settings;
      if (saved.locale !== locale) {
        locale = saved.locale;
        showMenu();
      }
    }
    return result;
  };
  const ipc = registerDeskIpc(ipcMain, call, { page, appContents });
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
  // Quitting waits for the database worker to stop its sync worker and close, then quits for real.
  app.on('will-quit', (event) => {
    if (done) return;
    event.preventDefault();
    if (closing) return;
    closing = true;
    void (async () => {
      ipc.dispose();
      online.stop();
      try {
        await database.stop();
      } catch (error) {
        console.error('[desk] database did not close cleanly', error);
      }
      done = true;
      resolveClosed();
      app.quit();
    })();
  });

  return { database, ipc, window: () => mainWindow, closed };
}
