// What IT and support get from a desk: a policy that sets it up and locks what it fixes, a log of
// what happened (never a client's data nor a token), and a window that survives its renderer
// crashing or hanging. Run through main's real start (db worker, sync worker, a real sync server)
// with Electron faked (test/helpers/fake-electron.ts).

import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { strFromU8, unzipSync } from 'fflate';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('../helpers/fake-electron.ts')).electronModule);

import { channelOf } from '../../contract/channels.ts';
import { DeskError } from '../../contract/errors.ts';
import { exchangeEnrolmentCode } from '../../sync/enrol.ts';
import { startDesktopApp } from '../../main/app.ts';
import { guardMainProcess, reloadedMessage, watchRenderer } from '../../main/crash-recovery.ts';
import { openDeskLog, scrub } from '../../main/log.ts';
import { FakeBrowserWindow, FakeFrame, fake, invokeEventFrom, resetFakeElectron } from '../helpers/fake-electron.ts';
import { tempDir } from '../helpers/local-db.ts';
import { commandLineActor } from '../../server/console/audit.ts';
import { issueEnrolmentCode } from '../../server/console/agents.ts';
import { openServerDatabase } from '../../server/storage/database.ts';
import { startTestServer, testClient, type TestServer } from '../helpers/server.ts';

const clientName = 'Zéphyrine Kowalczyk-Secret';
const clientCode = 'CLI-PRIVATE-4711';

describe('a desk under a site policy, as logged', () => {
  it('says so in the agent’s words when an enrolment code is wrong, spent or expired', async () => {
    const error = await exchangeEnrolmentCode(server.url, 'ABCD-EFGH-JKLM').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeskError);
    expect((error as DeskError).code).toBe('sync.enrolmentRejected');
  });

  let server: TestServer;
  let token: string;
  let code: string;
  let dir: string;

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    const agent = await server.agent('Awa Diallo');
    token = agent.token;
    // What IT gets from the console for this desk: a single-use code, traded by the desk for a token of its own.
    const sdb = await openServerDatabase(server.database.url, { migrate: false, poolSize: 1 });
    try {
      code = (await issueEnrolmentCode(sdb, agent.agentId, commandLineActor)).code;
    } finally {
      await sdb.close();
    }
    await server.clients([testClient(clientCode, clientName)]);
    dir = tempDir('desk-support-');
  });

  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function start(argv: string[]) {
    resetFakeElectron();
    fake.app.userDataDir = join(dir, 'user-data');
    const desktop = await startDesktopApp({ mainDir: join(dir, 'out', 'main'), policyFile: join(dir, 'policy.json'), argv });
    if (!desktop) throw new Error('the app did not start');
    const window = FakeBrowserWindow.getAllWindows()[0] as FakeBrowserWindow;
    const ask = (operation: Parameters<typeof channelOf>[0], input: unknown) =>
      fake.ipcMain.invoke(channelOf(operation), invokeEventFrom(window.webContents), input) as Promise<{ ok: boolean; value?: any; error?: any }>;
    return { desktop, window, ask };
  }

  it('enrols with the policy’s code, locks what it fixes, and logs the session without clients or tokens', async () => {
    writeFileSync(
      join(dir, 'policy.json'),
      `\uFEFF${JSON.stringify({ serverUrl: server.url, enrolmentCode: code, language: 'en', singleKeyShortcuts: false, logLevel: 'debug', colour: 'blue' })}`,
    );
    const argv = ['--lock-delay=soon', '--language=fr', '--update-url=https://updates.example.fr/desk/'];
    const { desktop, window, ask } = await start(argv);

    expect(desktop.policy.policy).toMatchObject({ language: 'en', singleKeyShortcuts: false, updateUrl: 'https://updates.example.fr/desk/' });
    expect(fake.state.crashReporterStarts).toEqual([expect.objectContaining({ uploadToServer: false })]);
    expect(fake.state.crashReporterStarts[0]).not.toHaveProperty('submitURL');

    const settings = await ask('getSettings', {});
    expect(settings.value).toMatchObject({ locale: 'en', singleKeyShortcuts: false, lockedByPolicy: ['locale', 'singleKeyShortcuts', 'serverUrl'] });
    const refused = await ask('updateSettings', { locale: 'fr' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'settings.lockedByPolicy' } });
    expect(refused.error.message.fr).toContain('fixé par le service informatique');
    expect((await ask('updateSettings', { locale: 'en', agentName: 'Awa' })).ok).toBe(true);
    expect(await ask('updateSyncSettings', { serverUrl: 'https://elsewhere.example.fr', token: null })).toMatchObject({ ok: false, error: { code: 'settings.lockedByPolicy' } });

    // Enrolled by the policy at start: a sync brings the server's clients.
    expect((await ask('getSyncSettings', {})).value).toMatchObject({ serverUrl: server.url, hasToken: true });
    expect((await ask('syncNow', {})).ok).toBe(true);
    // The route to the server came from Chromium's proxy settings (session.resolveProxy), asked by the workers through main.
    expect(fake.session.proxyQuestions.some((url) => new URL(url).origin === new URL(server.url).origin), JSON.stringify(fake.session.proxyQuestions)).toBe(true);
    const found = await ask('searchClients', { query: 'Zéphyrine' });
    expect(JSON.stringify(found.value)).toContain(clientName);
    expect((await ask('recordAttempt', { clientCode, status: 'failure', channel: 'phone', note: `${clientName} rappelle demain` })).ok).toBe(true);
    expect((await ask('syncNow', {})).ok).toBe(true);
    // A token typed by the agent (wrong here) and a refused sender.
    const typed = 'ndk_typed-by-the-agent-0042';
    expect((await ask('updateSyncSettings', { serverUrl: server.url, token: typed })).ok).toBe(false);
    const frame = new FakeFrame('https://evil.example/');
    expect(await fake.ipcMain.invoke(channelOf('getSettings'), invokeEventFrom(window.webContents, frame), {})).toMatchObject({ ok: false });

    // The policy's problems were shown once, in both languages.
    const policyDialogs = fake.state.dialogs.filter((d) => String(d.options.message).includes('politique du poste'));
    expect(policyDialogs).toHaveLength(1);
    expect(policyDialogs[0]?.options.detail).toContain('colour');

    fake.app.quit();
    await desktop.closed;

    const logged = desktop.log.files().map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const expected of [
      'start: Notification Desk 0.1.0',
      'policy: {"serverUrl"',
      '"enrolmentCode":"[secret]"',
      'lockDelayMinutes: nombre entier de minutes attendu',
      'colour: option inconnue',
      'lockDelayMinutes',
      'language: ignorée',
      'database: opened',
      `policy: enrolled with ${new URL(server.url).origin}`,
      'sync: idle',
      'call updateSettings: settings.lockedByPolicy',
      'ipc: refused desk:getSettings from an untrusted sender (https://evil.example/)',
      'quit: database closed',
    ]) {
      expect(logged, expected).toContain(expected);
    }
    for (const secret of [code, token, typed, clientName, clientCode, 'Zéphyrine', 'rappelle demain']) expect(logged, secret).not.toContain(secret);

    // Started again with the same broken policy: logged again, not shown again.
    const again = await start(argv);
    expect(fake.state.dialogs.filter((d) => String(d.options.message).includes('politique du poste'))).toHaveLength(0);

    // Aide → "Exporter un diagnostic…": one zip, no client data, no token.
    const help = fake.menuTemplate().find((menu) => menu.role === 'help');
    const item = help.submenu.find((entry: { id?: string }) => entry.id === 'exportDiagnostics');
    expect(item.label).toBe('Export a diagnostic…'); // the policy's language
    const fromMenu = join(dir, 'from-menu.zip');
    fake.state.dialogAnswers.push({ filePath: fromMenu });
    item.click();
    await vi.waitFor(() => expect(fake.state.dialogs.some((d) => String(d.options.message).startsWith('Diagnostic saved'))).toBe(true));
    checkDiagnostic(fromMenu, [code, token, typed, clientName, clientCode, 'Zéphyrine']);
    fake.app.quit();
    await again.desktop.closed;

    // The same for IT's scripts: no window, the zip, exit code 0.
    const fromCommandLine = join(dir, 'from-command-line.zip');
    resetFakeElectron();
    fake.app.userDataDir = join(dir, 'user-data');
    // A site behind a proxy: the zip says which route the desk takes to its server.
    fake.session.proxyRules = 'PROXY proxy.corp.invalid:8080; DIRECT';
    expect(await startDesktopApp({ mainDir: join(dir, 'out', 'main'), policyFile: join(dir, 'policy.json'), argv: ['--export-diagnostics', fromCommandLine] })).toBeNull();
    expect(fake.app.exitCode).toBe(0);
    expect(FakeBrowserWindow.getAllWindows()).toHaveLength(0);
    const entries = checkDiagnostic(fromCommandLine, [code, token, typed, clientName, clientCode, 'Zéphyrine']);
    const database = JSON.parse(entries['database.json'] as string);
    expect(database.diagnosis).toMatchObject({ quickCheck: 'ok', outboxPending: 0, outboxDead: 0, clients: 1, attempts: 1, journalMode: 'wal' });
    expect(database.diagnosis.migrations.length).toBeGreaterThan(0);
    expect(JSON.parse(entries['sync.json'] as string)).toMatchObject({ state: { deadLetters: 0, pending: 0 }, settings: { hasToken: true }, route: 'PROXY proxy.corp.invalid:8080; DIRECT' });
    expect(JSON.parse(entries['policy.json'] as string).policy).toMatchObject({ enrolmentCode: '[secret]', language: 'en' });
    expect(JSON.parse(entries['versions.json'] as string)).toMatchObject({ app: '0.1.0', platform: process.platform });
    // The worker's heap is read from the running database worker: a few MB at least, never the whole process.
    const memory = JSON.parse(entries['memory.json'] as string);
    expect(memory.databaseWorkerHeapMb).toBeGreaterThan(1);
    expect(memory.databaseWorkerHeapMb).toBeLessThan(memory.rssMb);
    expect(memory.mainHeapMb).toBeGreaterThan(1);
  }, 60_000);
});

/** Opens a diagnostic zip: the expected entries, none of the secrets; returns the entries as text. */
function checkDiagnostic(file: string, secrets: string[]): Record<string, string> {
  expect(existsSync(file), file).toBe(true);
  expect(existsSync(`${file}.part`)).toBe(false);
  const entries = Object.fromEntries(Object.entries(unzipSync(readFileSync(file))).map(([name, bytes]) => [name, strFromU8(bytes)]));
  expect(Object.keys(entries)).toEqual(expect.arrayContaining(['versions.json', 'policy.json', 'database.json', 'sync.json', 'memory.json', 'logs/desk.log']));
  const all = Object.values(entries).join('\n');
  for (const secret of secrets) expect(all, secret).not.toContain(secret);
  return entries;
}

describe('the log file', () => {
  it('rotates, keeping five previous files', () => {
    const dir = tempDir('desk-log-');
    try {
      const log = openDeskLog({ dir, level: 'info', maxBytes: 2000 });
      for (let i = 0; i < 400; i += 1) log.info(`line ${i} ${'x'.repeat(80)}`);
      const files = log.files();
      expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['desk.log', 'desk.1.log', 'desk.2.log', 'desk.3.log', 'desk.4.log', 'desk.5.log']);
      expect(readFileSync(files[0] as string, 'utf8')).toContain('line 399');
      log.debug('below the level');
      log.setLevel('debug');
      log.debug('now written');
      const last = readFileSync(files[0] as string, 'utf8');
      expect(last).not.toContain('below the level');
      expect(last).toContain('now written');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes errors with their cause and blanks credentials', () => {
    const dir = tempDir('desk-log-');
    try {
      const log = openDeskLog({ dir, level: 'info' });
      log.forget('s3cr3t-value');
      log.error('sync: failed', new Error('POST v1/push failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }));
      log.warn('header authorization: Bearer abcdefghijkl and s3cr3t-value');
      const text = readFileSync(log.file, 'utf8');
      expect(text).toContain('POST v1/push failed');
      expect(text).toContain('caused by: Error: connect ECONNREFUSED');
      expect(text).toContain('[ECONNREFUSED]');
      expect(text).not.toContain('abcdefghijkl');
      expect(text).not.toContain('s3cr3t-value');
      expect(scrub('{"token":"ndk_abc123"}', [])).toBe('{"token":"[secret]"}');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('crashes', () => {
  function logInto(dir: string) {
    return openDeskLog({ dir, level: 'debug' });
  }

  it('reloads a renderer that died, tells the agent, and stops after a loop', () => {
    const dir = tempDir('desk-crash-');
    try {
      const window = new FakeBrowserWindow();
      const told: string[] = [];
      let clock = 0;
      watchRenderer(window as never, { log: logInto(dir), notify: (m) => told.push(m), locale: () => 'fr', now: () => clock });
      window.webContents.emit('render-process-gone', {}, { reason: 'clean-exit', exitCode: 0 });
      expect(window.webContents.reloads).toBe(0);
      for (let i = 0; i < 4; i += 1) window.webContents.emit('render-process-gone', {}, { reason: 'oom', exitCode: -1 });
      expect(window.webContents.reloads).toBe(3);
      expect(told).toEqual([reloadedMessage.fr, reloadedMessage.fr, reloadedMessage.fr]);
      expect(told[0]).toContain('La fenêtre a été rechargée');
      clock = 61_000;
      window.webContents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 11 });
      expect(window.webContents.reloads).toBe(4);
      expect(readFileSync(join(dir, 'desk.log'), 'utf8')).toContain('not reloaded, 3 reloads within a minute already');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ends a renderer that stays hung, then reloads it; one that recovers is left alone', async () => {
    const dir = tempDir('desk-hang-');
    try {
      const window = new FakeBrowserWindow();
      const told: string[] = [];
      watchRenderer(window as never, { log: logInto(dir), notify: (m) => told.push(m), locale: () => 'en', hangMs: 30 });
      window.emit('unresponsive');
      window.emit('responsive');
      await new Promise((ok) => setTimeout(ok, 60));
      expect(window.webContents.crashes).toBe(0);
      window.emit('unresponsive');
      await new Promise((ok) => setTimeout(ok, 60));
      expect(window.webContents.crashes).toBe(1);
      expect(window.webContents.reloads).toBe(1);
      expect(told).toEqual([reloadedMessage.en]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('logs main’s uncaught errors with their cause and shows them at most once a minute', () => {
    const dir = tempDir('desk-main-');
    try {
      const target = new EventEmitter();
      const shown: string[] = [];
      let clock = 0;
      const guard = guardMainProcess(target as never, { log: logInto(dir), show: (_t, c) => shown.push(c), locale: () => 'fr', now: () => clock });
      target.emit('uncaughtException', new Error('menu broke', { cause: new Error('disk said no') }));
      target.emit('unhandledRejection', new Error('again'));
      expect(shown).toHaveLength(1);
      expect(shown[0]).toContain('Une erreur inattendue s’est produite : menu broke');
      clock = 60_001;
      target.emit('unhandledRejection', new Error('later'));
      expect(shown).toHaveLength(2);
      guard.dispose();
      expect(target.listenerCount('uncaughtException')).toBe(0);
      const text = readFileSync(join(dir, 'desk.log'), 'utf8');
      expect(text).toContain('main: uncaught exception');
      expect(text).toContain('caused by: Error: disk said no');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
