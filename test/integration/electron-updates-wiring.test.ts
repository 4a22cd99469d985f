// The updater inside the desktop app (Electron faked, real database, real release feed on loopback):
// on only for a packaged desk whose policy names an updateUrl, its quiet notice shown as a silent
// system notification, and a quit right after an attempt (in its undo window) keeps the update for
// the next quit. electron-updater's NsisUpdater runs on Node (test/helpers/update-feed.ts).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('../helpers/fake-electron.ts')).electronModule);

import { channelOf } from '../../contract/channels.ts';
import { startDesktopApp, type DesktopApp } from '../../main/app.ts';
import { fake, FakeBrowserWindow, invokeEventFrom, resetFakeElectron } from '../helpers/fake-electron.ts';
import { tempDir } from '../helpers/local-db.ts';
import { fakeUpdaterApp, nodeNsisUpdater, serveReleaseFeed, type ReleaseFeed } from '../helpers/update-feed.ts';

let feed: ReleaseFeed;
let dir: string;
let desktop: DesktopApp | null = null;

beforeAll(async () => {
  feed = await serveReleaseFeed();
});
afterAll(() => feed.close());

afterEach(async () => {
  if (desktop && !fake.app.quitted) {
    fake.app.quit();
    await desktop.closed;
  }
  desktop = null;
  rmSync(dir, { recursive: true, force: true });
});

async function start(argv: string[]) {
  resetFakeElectron();
  dir = tempDir('desk-updates-');
  fake.app.userDataDir = join(dir, 'user-data');
  fake.app.isPackaged = true;
  const updaterApp = fakeUpdaterApp(mkdtempSync(join(dir, 'updater-')));
  const updater = nodeNsisUpdater(updaterApp);
  let created = 0;
  desktop = await startDesktopApp({
    mainDir: join(dir, 'out', 'main'),
    policyFile: join(dir, 'no-policy.json'),
    argv,
    createUpdater: () => {
      created += 1;
      return updater;
    },
  });
  if (!desktop) throw new Error('the app did not start');
  const window = FakeBrowserWindow.getAllWindows()[0] as FakeBrowserWindow;
  const ask = (operation: Parameters<typeof channelOf>[0], input: unknown) =>
    fake.ipcMain.invoke(channelOf(operation), invokeEventFrom(window.webContents), input) as Promise<{ ok: boolean; value?: any; error?: any }>;
  return { desktop, updater, updaterApp, ask, created: () => created };
}

describe('updates in the desktop app', () => {
  it('downloads from the policy’s updateUrl, says so silently, and skips the install at a quit in the middle of a call', async () => {
    const { desktop: app, updater, ask, created } = await start([`--update-url=${feed.base}/good/`]);
    expect(created()).toBe(1);
    expect(app.updates).not.toBeNull();
    await app.updates!.checkNow();
    expect(app.updates!.state().ready).toBe('0.2.0');
    expect(fake.state.notifications).toEqual([{ title: 'Notification Desk', body: 'Mise à jour prête : elle s’installera au prochain démarrage', silent: true }]);

    // An attempt, through the window's IPC: the quit that follows within the undo window is mid-call.
    expect(await ask('updateSettings', { agentName: 'Awa Diallo' })).toMatchObject({ ok: true });
    expect(await ask('seedDemoClients', { count: 2 })).toMatchObject({ ok: true });
    const page = await ask('searchClients', {});
    const code = page.value.items[0].code as string;
    expect(await ask('getClient', { code })).toMatchObject({ ok: true });
    expect(await ask('recordAttempt', { clientCode: code, status: 'success', channel: 'phone' })).toMatchObject({ ok: true });
    fake.app.quit();
    await app.closed;
    expect(updater.autoInstallOnAppQuit).toBe(false);
    const log = readFileSync(app.log.file, 'utf8');
    expect(log).toContain(`update: on, from ${feed.base}`);
    expect(log).toContain('update: 0.2.0 downloaded and verified');
    expect(log).toContain('update: 0.2.0 not installed at this quit (an attempt is in its undo window)');
  });

  it('installs at a quit between calls', async () => {
    const { desktop: app, updater } = await start([`--update-url=${feed.base}/good/`]);
    await app.updates!.checkNow();
    fake.app.quit();
    await app.closed;
    expect(updater.autoInstallOnAppQuit).toBe(true);
    expect(readFileSync(app.log.file, 'utf8')).toContain('update: installing 0.2.0 as the desk quits');
  });

  it('is off by policy, and without an updateUrl: no updater is even built', async () => {
    for (const argv of [[`--update-url=${feed.base}/good/`, '--auto-update=off'], []]) {
      const { desktop: app, created } = await start(argv);
      expect(app.updates).toBeNull();
      expect(created()).toBe(0);
      expect(readFileSync(app.log.file, 'utf8')).toMatch(/update: off; (off by policy|no updateUrl)/);
      fake.app.quit();
      await app.closed;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
