// The desktop app's lifecycle: one instance per user, one window, the IPC surface and the menu. The
// database in the user's data folder is the database worker's (db/database-client.ts): main only
// routes calls to it, and asks it to close (WAL checkpointed) on quit.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { app, crashReporter, dialog, ipcMain, net, Notification, powerMonitor, protocol, safeStorage, session, type BrowserWindow } from 'electron';
import electronUpdater from 'electron-updater';
import type { DeskEvents } from '../contract/events.ts';
import type { Settings, SyncState } from '../contract/model.ts';
import { DatabaseStartError, startDatabase, type DatabaseClient, type DeskCall } from '../db/database-client.ts';
import { preloadFile, resolveAppPage } from './app-page.ts';
import { appScheme, appSchemePrivileges, createAppRequestHandler } from './app-protocol.ts';
import { createCallActivity } from './call-activity.ts';
import { guardMainProcess, watchRenderer } from './crash-recovery.ts';
import { openDeskLog, type DeskLog } from './log.ts';
import { databaseDirectory, moveBaseIfNeeded } from './data-location.ts';
import { writeDiagnostics, type DiagnosticSources } from './diagnostics.ts';
import { describeProblems, loadPolicy, policyFilePath, policyForReport, readCommandLine, type PolicyInForce } from './policy.ts';
import { applyPolicyAtStart, guardCalls } from './policy-guard.ts';
import { guardSession } from './hardening.ts';
import { createEmitter, registerDeskIpc, withSystemNotices, type DeskIpc } from './ipc.ts';
import { applyMenu } from './menu.ts';
import { createStorageMenu } from './storage-menu.ts';
import { watchOnline } from './online-watch.ts';
import { startAutoUpdates, updateFeed, type AutoUpdates, type DeskUpdater } from './updater.ts';
import { bringToFront, createMainWindow, productName } from './window.ts';

export const appUserModelId = 'fr.notificationdesk.app';
export const databaseFileName = 'notification-desk.db';

export interface DesktopEnvironment {
  /** Folder of the built main bundle (out/main). */
  mainDir: string;
  /** electron-vite's dev server, honoured only when unpackaged. */
  devServerUrl?: string | undefined;
  /** The command line after the executable (default: process.argv's). */
  argv?: string[] | undefined;
  /** The site policy file (default: the platform's machine-wide place, main/policy.ts). */
  policyFile?: string | undefined;
  /** The updater (default: electron-updater's for this platform, built only when updates are on). */
  createUpdater?: (() => DeskUpdater) | undefined;
}

export interface DesktopApp {
  database: DatabaseClient;
  ipc: DeskIpc;
  window(): BrowserWindow | null;
  log: DeskLog;
  policy: PolicyInForce;
  /** Null when updates are off (policy, no updateUrl, unpackaged). */
  updates: AutoUpdates | null;
  /** Resolves once the database is closed after a quit. */
  closed: Promise<void>;
}

/** Returns null when another instance already runs: that one is brought forward and this one quits. */
export async function startDesktopApp(env: DesktopEnvironment): Promise<DesktopApp | null> {
  // Policy, log and crash reporter come first: whatever fails next is then written down.
  const userDataDir = app.getPath('userData');
  const policy = loadPolicy({ file: env.policyFile ?? policyFilePath(process.platform), argv: env.argv ?? process.argv.slice(1) });
  const log = openDeskLog({ dir: join(userDataDir, 'logs'), level: policy.policy.logLevel ?? 'info', console: !app.isPackaged && Boolean(env.devServerUrl) });
  if (policy.policy.enrolmentCode) log.forget(policy.policy.enrolmentCode);
  crashReporter.start({
    productName,
    compress: true,
    // Minidumps stay in the crashDumps folder unless the site names a collector. Not in the diagnostic:
    // a minidump holds process memory, so possibly client data.
    uploadToServer: policy.policy.crashReportUrl !== undefined,
    ...(policy.policy.crashReportUrl ? { submitURL: policy.policy.crashReportUrl } : {}),
  });
  let locale: Settings['locale'] = policy.policy.language ?? 'fr';
  const processGuard = guardMainProcess(process, { log, show: (title, content) => dialog.showErrorBox(title, content), locale: () => locale });

  if (!app.requestSingleInstanceLock()) {
    log.info('start: another instance is running; handing over to it');
    processGuard.dispose();
    app.quit();
    return null;
  }
  const runtime = process.versions as NodeJS.ProcessVersions & { electron?: string; chrome?: string };
  log.info(
    `start: ${productName} ${app.getVersion()} (electron ${runtime.electron ?? '-'}, chrome ${runtime.chrome ?? '-'}, node ${runtime.node}) ` +
      `${process.platform}-${process.arch}${app.isPackaged ? '' : ', unpackaged'}`,
  );
  log.info(`policy: ${JSON.stringify(policyForReport(policy.policy))} (file ${policy.file})`);
  for (const problem of policy.problems) log.warn(`policy: ${problem.source}${problem.key ? ` → ${problem.key}` : ''}: ${problem.message}`);
  app.enableSandbox();
  if (process.platform === 'win32') app.setAppUserModelId(appUserModelId);
  // Electron accepts scheme privileges only before ready.
  protocol.registerSchemesAsPrivileged([appSchemePrivileges]);

  let mainWindow: BrowserWindow | null = null;
  let diagnosticSources: (() => DiagnosticSources) | null = null;
  // IT's `--export-diagnostics FILE` while the desk runs: the running instance writes it.
  app.on('second-instance', (_event, argv: string[]) => {
    const asked = readCommandLine(argv.slice(1), []).exportDiagnostics;
    if (asked && diagnosticSources) {
      void writeDiagnostics(asked, diagnosticSources()).catch((error: unknown) => log.error('diagnostics: cannot write the file', error));
      return;
    }
    bringToFront(mainWindow);
  });

  await app.whenReady();
  const page = resolveAppPage({ mainDir: env.mainDir, isPackaged: app.isPackaged, devServerUrl: env.devServerUrl });
  guardSession(session.defaultSession, page);
  if (page.kind === 'app') protocol.handle(appScheme, createAppRequestHandler(page.rootDir));

  const appContents = () => (mainWindow && !mainWindow.isDestroyed() ? mainWindow.webContents : null);
  const emit = logEvents(withSystemNotices(createEmitter(appContents), (notice) => new Notification(notice).show()), log);
  let database: DatabaseClient;
  const systemProxy = (url: string) => session.defaultSession.resolveProxy(url);
  mkdirSync(databaseDirectory(process.platform, process.env, userDataDir), { recursive: true });
  const dataDir = moveBaseIfNeeded(userDataDir, databaseDirectory(process.platform, process.env, userDataDir), databaseFileName, log).dir;
  const databaseFile = join(dataDir, databaseFileName);
  try {
    database = await startDatabase({
      file: databaseFile,
      emit,
      sync: { appVersion: app.getVersion(), allowPlainHttp: policy.policy.allowPlainHttp === true },
      keychain: safeStorage,
      // Chromium knows the system's proxy (Internet options, PAC, macOS, GNOME); the workers' fetch does not.
      resolveProxy: systemProxy,
      systemNotices: true,
    });
    log.info(`database: opened ${databaseFile} (device ${database.deviceId})${database.problem() ? `; problem: ${database.problem()?.kind}` : ''}`);
  } catch (error) {
    log.error('database: cannot open the local database', error);
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

  const guarded = guardCalls((operation, input) => database.call(operation, input), policy.policy);
  await applyPolicyAtStart(guarded, policy.policy, log);
  const settings = await database.call('getSettings', {});
  locale = settings.ok ? settings.value.locale : locale;
  const storageMenu = createStorageMenu({ database, userDataDir: dataDir, window: () => mainWindow, locale: () => locale });
  const logged = (work: Promise<void>) => void work.catch((error: unknown) => log.error('menu: action failed', error));
  const showMenu = () =>
    applyMenu({
      locale,
      platform: process.platform,
      isPackaged: app.isPackaged,
      send: (command) => emit('menuCommand', command),
      storage: { backup: () => logged(storageMenu.backup()), restore: () => logged(storageMenu.restore()) },
      support: { exportDiagnostics: () => logged(exportDiagnosticsFromMenu(diagnosticSources!(), () => mainWindow, locale)) },
    });
  const activity = createCallActivity();
  // The menu speaks the agent's language: rebuilt as soon as they switch it in the settings.
  const call: DeskCall = async (operation, input) => {
    // A token or enrolment code the agent types is a secret the log must never show, even inside an error.
    if (operation === 'updateSyncSettings' && typeof input === 'object' && input !== null) {
      for (const secret of [(input as { token?: unknown }).token, (input as { enrolmentCode?: unknown }).enrolmentCode]) {
        if (typeof secret === 'string') log.forget(secret);
      }
    }
    const result = await guarded(operation, input);
    activity.observe(operation, result.ok);
    if (!result.ok) log.debug(`call ${operation}: ${result.error.code}`);
    if (operation === 'updateSettings' && result.ok) {
      const saved = result.value as Settings;
      if (saved.locale !== locale) {
        locale = saved.locale;
        showMenu();
      }
    }
    return result;
  };
  const versions = { app: app.getVersion(), electron: runtime.electron, chrome: runtime.chrome, node: runtime.node, packaged: String(app.isPackaged) };
  diagnosticSources = () => ({ log, policy, database, call: guarded, versions, resolveProxy: systemProxy });
  if (policy.exportDiagnostics) {
    // The command line's export: no window, the zip, then quit with a status IT's script can test.
    let code = 0;
    try {
      const written = await writeDiagnostics(policy.exportDiagnostics, diagnosticSources());
      console.log(`${written.file} (${written.bytes} bytes)`);
    } catch (error) {
      log.error('diagnostics: cannot write the file', error);
      console.error(`cannot write ${policy.exportDiagnostics}: ${String(error)}`);
      code = 1;
    }
    online.stop();
    await database.stop().catch((error: unknown) => log.error('quit: database did not close cleanly', error));
    processGuard.dispose();
    app.exit(code);
    return null;
  }
  const ipc = registerDeskIpc(ipcMain, call, {
    page,
    appContents,
    onRefused: (channel, senderUrl) => log.warn(`ipc: refused ${channel} from an untrusted sender (${senderUrl ?? 'no frame'})`),
  });
  showMenu();

  const openWindow = () => {
    const window = createMainWindow(page, preloadFile(env.mainDir), { devTools: !app.isPackaged });
    mainWindow = window;
    const recovery = watchRenderer(window, {
      log,
      locale: () => locale,
      notify: (message) =>
        void dialog.showMessageBox(window, { type: 'info', title: productName, message, buttons: ['OK'] }).catch((error: unknown) => log.error('dialog failed', error)),
    });
    window.on('closed', () => {
      recovery.dispose();
      if (mainWindow === window) mainWindow = null;
    });
    window.loadURL(page.url).catch((error: unknown) => log.error(`window: cannot load the page ${page.url}`, error));
  };
  openWindow();
  showPolicyProblemsOnce(policy, userDataDir, () => mainWindow);

  const feed = updateFeed(policy.policy, app.isPackaged);
  let updates: AutoUpdates | null = null;
  if (feed.on) {
    log.info(`update: on, from ${new URL(feed.url).origin}`);
    updates = startAutoUpdates({
      updater: env.createUpdater?.() ?? electronUpdater.autoUpdater,
      feedUrl: feed.url,
      log,
      activity,
      locale: () => locale,
      // Quiet: a silent system notification, no dialog, nothing that takes the focus mid-call.
      notify: (notice) => new Notification({ ...notice, silent: true }).show(),
    });
  } else if (feed.problem) log.error(`update: off; ${feed.reason}`);
  else log.info(`update: off; ${feed.reason}`);

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
    // Before the quit goes on: electron-updater installs a downloaded release on 'quit' unless told not to.
    updates?.beforeQuit();
    updates?.stop();
    void (async () => {
      ipc.dispose();
      online.stop();
      try {
        await database.stop();
        log.info('quit: database closed');
      } catch (error) {
        log.error('quit: database did not close cleanly', error);
      }
      processGuard.dispose();
      done = true;
      resolveClosed();
      app.quit();
    })();
  });

  return { database, ipc, window: () => mainWindow, closed, log, policy, updates };
}

async function exportDiagnosticsFromMenu(sources: DiagnosticSources, window: () => BrowserWindow | null, locale: Settings['locale']): Promise<void> {
  const fr = locale === 'fr';
  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  const owner = window();
  const options = {
    title: fr ? 'Exporter un diagnostic' : 'Export a diagnostic',
    defaultPath: `notification-desk-diagnostic-${stamp}.zip`,
    filters: [{ name: fr ? 'Archive zip' : 'Zip archive', extensions: ['zip'] }],
  };
  const chosen = owner ? await dialog.showSaveDialog(owner, options) : await dialog.showSaveDialog(options);
  if (chosen.canceled || !chosen.filePath) return;
  try {
    const written = await writeDiagnostics(chosen.filePath, sources);
    const message = fr
      ? `Diagnostic enregistré : ${written.file}. Il ne contient aucune donnée client ; envoyez-le au support.`
      : `Diagnostic saved: ${written.file}. It holds no client data; send it to support.`;
    await (owner ? dialog.showMessageBox(owner, { type: 'info', message, buttons: ['OK'] }) : dialog.showMessageBox({ type: 'info', message, buttons: ['OK'] }));
  } catch (error) {
    sources.log.error('diagnostics: cannot write the file', error);
    dialog.showErrorBox(productName, `${fr ? 'Le diagnostic n’a pas pu être enregistré' : 'The diagnostic could not be saved'} : ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Logs what support needs from the events going to the page: sync phase changes, database state. */
function logEvents(emit: ReturnType<typeof createEmitter>, log: DeskLog): ReturnType<typeof createEmitter> {
  let last: Pick<SyncState, 'phase' | 'lastError'> | null = null;
  return (event, payload) => {
    if (event === 'syncState') {
      const state = payload as DeskEvents['syncState'] as SyncState;
      if (!last || last.phase !== state.phase || last.lastError !== state.lastError) {
        const line = `sync: ${state.phase} (pending ${state.pending}, dead letters ${state.deadLetters})${state.lastError ? `: ${state.lastError}` : ''}`;
        if (state.phase === 'error') log.warn(line);
        else log.info(line);
      }
      last = { phase: state.phase, lastError: state.lastError };
    } else if (event === 'databaseState') {
      log.warn(`database: ${JSON.stringify(payload)}`);
    }
    emit(event, payload);
  };
}

/**
 * A broken policy is told to the person at the desk once (the same problems are not shown again at
 * every start, they stay in the log); IT sees them in the log and the diagnostic.
 */
function showPolicyProblemsOnce(policy: PolicyInForce, userDataDir: string, window: () => BrowserWindow | null): void {
  if (policy.problems.length === 0) return;
  const text = describeProblems(policy.problems);
  const marker = join(userDataDir, 'policy-problems-shown');
  const fingerprint = createHash('sha256').update(text).digest('hex');
  try {
    if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === fingerprint) return;
    writeFileSync(marker, `${fingerprint}\n`);
  } catch {
    // Cannot remember it: showing it again next time is the lesser harm.
  }
  const options = {
    type: 'warning' as const,
    title: productName,
    message: 'La politique du poste contient des erreurs : les options concernées sont ignorées. / The desk policy has errors: those options are ignored.',
    detail: `${text}\n\nPrévenez le service informatique. / Tell IT.`,
    buttons: ['OK'],
  };
  const owner = window();
  void (owner ? dialog.showMessageBox(owner, options) : dialog.showMessageBox(options)).catch(() => undefined);
}
