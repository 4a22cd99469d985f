// Auto-update against a real release feed on a local HTTP server: electron-updater's own NsisUpdater
// (the Windows installer's updater; the check, the download and the sha512 verification are
// AppUpdater/BaseUpdater code shared by every platform) run under Node. Two stand-ins only, since the
// Electron binary cannot run here: an AppAdapter for Electron's `app` (version, folders, quit), and
// electron-builder's NodeHttpExecutor for the ElectronHttpExecutor (Electron's net.request).
// What stays unchecked (the installer run at quit, Authenticode, Squirrel.Mac, AppImage) is in
// docs/deploy-desk.md.

import { mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AppUpdater } from 'electron-updater';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCallActivity } from '../../main/call-activity.ts';
import type { DeskLog } from '../../main/log.ts';
import { startAutoUpdates, updateFeed, updateReadyText, type AutoUpdates } from '../../main/updater.ts';
import { channelFile, fakeUpdaterApp, nodeNsisUpdater, serveReleaseFeed, type ReleaseFeed } from '../helpers/update-feed.ts';

let feed: ReleaseFeed;
let base: string;
let root: string;
let requests: string[];

beforeAll(async () => {
  feed = await serveReleaseFeed();
  ({ base, root, requests } = feed);
});

afterAll(() => feed.close());

function memoryLog(): DeskLog & { lines: string[] } {
  const lines: string[] = [];
  const add = (level: string) => (message: string, ...details: unknown[]) => lines.push(`${level} ${message}${details.length ? ` ${details.map(String).join(' ')}` : ''}`);
  return { file: '', dir: '', lines, error: add('error'), warn: add('warn'), info: add('info'), debug: add('debug'), setLevel: () => undefined, forget: () => undefined, files: () => [] };
}

let running: AutoUpdates[] = [];
afterEach(() => {
  running.forEach((updates) => updates.stop());
  running = [];
});

function start(feed: string, options: { busy?: () => boolean } = {}) {
  const dir = mkdtempSync(join(root, 'desk-'));
  const app = fakeUpdaterApp(dir);
  const updater = nodeNsisUpdater(app);
  const log = memoryLog();
  const notices: { title: string; body: string }[] = [];
  const activity = createCallActivity();
  const busy = options.busy;
  const updates = startAutoUpdates({
    updater: updater as AppUpdater,
    feedUrl: `${base}/${feed}`,
    log,
    activity: busy ? { ...activity, busy, reason: () => (busy() ? 'on a call' : null) } : activity,
    locale: () => 'fr',
    notify: (notice) => notices.push(notice),
    timing: { firstCheckMs: 3_600_000, idleRetryMs: 20 },
  });
  running.push(updates);
  return { dir, app, updater, log, notices, updates };
}

describe('auto-update against a local release feed', () => {
  it('downloads a newer release, verifies it and tells the agent quietly once', async () => {
    const desk = start('good');
    await desk.updates.checkNow();
    expect(desk.updates.state()).toMatchObject({ ready: '0.2.0', lastCheck: { outcome: 'available', version: '0.2.0' } });
    expect(requests).toContain(`/good/${channelFile}`);
    expect(requests).toContain('/good/Notification Desk-Setup-0.2.0.exe');
    // The verified installer waits in the updater's cache for the quit.
    const pending = join(desk.dir, 'cache', 'notification-desk-updater', 'pending');
    expect(readdirSync(pending)).toContain('update-info.json');
    expect(desk.notices).toEqual([{ title: 'Notification Desk', body: 'Mise à jour prête : elle s’installera au prochain démarrage' }]);
    expect(desk.log.lines.some((line) => line.startsWith('info update: 0.2.0 downloaded and verified'))).toBe(true);
    // Installed when the desk quits (electron-updater's quit handler), not before.
    expect(desk.app.quitHandlers).toHaveLength(1);
    expect(desk.updater.autoInstallOnAppQuit).toBe(true);
    await desk.updates.checkNow();
    expect(desk.notices).toHaveLength(1);
  });

  it('refuses an installer whose sha512 is not the one latest.yml announces', async () => {
    const desk = start('tampered');
    await desk.updates.checkNow();
    expect(desk.updates.state().ready).toBeNull();
    expect(desk.updates.state().lastCheck).toMatchObject({ outcome: 'error' });
    expect(desk.updates.state().lastCheck?.error).toMatch(/sha512 checksum mismatch/);
    expect(desk.log.lines.some((line) => line.startsWith('warn update: ') && line.includes('sha512'))).toBe(true);
    expect(desk.notices).toEqual([]);
    expect(desk.app.quitHandlers).toHaveLength(0);
  });

  it('says up to date when the feed holds the running version, and downloads nothing', async () => {
    const desk = start('same');
    await desk.updates.checkNow();
    expect(desk.updates.state()).toMatchObject({ ready: null, lastCheck: { outcome: 'up to date', version: '0.1.0' } });
    expect(requests).not.toContain('/same/Notification Desk-Setup-0.1.0.exe');
  });

  it('logs an unreachable feed and goes on', async () => {
    const desk = start('missing');
    await desk.updates.checkNow();
    expect(desk.updates.state().lastCheck).toMatchObject({ outcome: 'error' });
    expect(desk.log.lines.some((line) => line.startsWith('warn update: ') && /404/.test(line))).toBe(true);
  });

  it('waits for the end of the call to say the update is ready, and keeps it for the next quit if quit mid-call', async () => {
    let onCall = true;
    const desk = start('good', { busy: () => onCall });
    await desk.updates.checkNow();
    expect(desk.updates.state().ready).toBe('0.2.0');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(desk.notices).toEqual([]);
    desk.updates.beforeQuit();
    expect(desk.updater.autoInstallOnAppQuit).toBe(false);
    // electron-updater's own quit handler honours it: no install at this quit.
    desk.app.quitHandlers.forEach((handler) => handler(0));
    expect(desk.log.lines.some((line) => line.includes('not installed at this quit (on a call)'))).toBe(true);
    onCall = false;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(desk.notices).toHaveLength(1);
    desk.updates.beforeQuit();
    expect(desk.updater.autoInstallOnAppQuit).toBe(true);
  });
});

describe('where updates come from', () => {
  it('is off unless the site names a place, and off by policy', () => {
    expect(updateFeed({}, true)).toMatchObject({ on: false, problem: false });
    expect(updateFeed({ updateUrl: 'https://updates.example.fr/desk', autoUpdate: false }, true)).toMatchObject({ on: false, reason: expect.stringMatching(/off by policy/) });
    expect(updateFeed({ updateUrl: 'https://updates.example.fr/desk' }, true)).toEqual({ on: true, url: 'https://updates.example.fr/desk/' });
    expect(updateFeed({ updateUrl: 'https://updates.example.fr/desk' }, false)).toMatchObject({ on: false, reason: expect.stringMatching(/unpackaged/) });
  });

  it('refuses plain http to another host unless the policy allows it', () => {
    expect(updateFeed({ updateUrl: 'http://updates.example.fr/' }, true)).toMatchObject({ on: false, problem: true });
    expect(updateFeed({ updateUrl: 'http://updates.example.fr/', allowPlainHttp: true }, true)).toMatchObject({ on: true });
    expect(updateFeed({ updateUrl: 'http://127.0.0.1:4700/' }, true)).toMatchObject({ on: true });
  });

  it('speaks English too', () => {
    expect(updateReadyText('en').body).toBe('Update ready: it will be installed at the next start');
  });
});

describe('a call in progress', () => {
  it('is an attempt in its undo window, or a client file open without an attempt', () => {
    let now = 0;
    const activity = createCallActivity({ now: () => now, undoMs: 10_000, openCallMaxMs: 600_000 });
    expect(activity.busy()).toBe(false);
    activity.observe('getClient', true);
    expect(activity.reason()).toMatch(/client file is open/);
    now = 5_000;
    activity.observe('recordAttempt', true);
    expect(activity.reason()).toMatch(/undo window/);
    now = 14_999;
    expect(activity.busy()).toBe(true);
    now = 15_000;
    expect(activity.busy()).toBe(false);
    activity.observe('nextClient', true);
    expect(activity.busy()).toBe(true);
    now += 600_000;
    expect(activity.busy()).toBe(false);
    activity.observe('getClient', true);
    activity.observe('lockSession', true);
    expect(activity.busy()).toBe(false);
    // A refused call changes nothing.
    activity.observe('recordAttempt', false);
    expect(activity.busy()).toBe(false);
  });
});
