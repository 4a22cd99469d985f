// Main's IPC surface, driven through the handlers main really registers, against a real SQLite file:
// only the app's own top frame gets through, bad input is refused before anything is written.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('../helpers/fake-electron.ts')).electronModule);

import { channelOf, operationNames, type ClientPage, type Result } from '../../contract/index.ts';
import { eventChannelOf } from '../../contract/events.ts';
import { databaseFileName, startDesktopApp, type DesktopApp } from '../../main/app.ts';
import {
  fake,
  FakeFrame,
  FakeWebContents,
  invokeEventFrom,
  resetFakeElectron,
  type FakeBrowserWindow,
  type FakeInvokeEvent,
} from '../helpers/fake-electron.ts';
import { tempDir } from '../helpers/local-db.ts';

let dir: string;
let desktop: DesktopApp;
let window: FakeBrowserWindow;

beforeEach(async () => {
  resetFakeElectron();
  dir = tempDir('desk-electron-');
  fake.app.userDataDir = dir;
  const started = await startDesktopApp({ mainDir: join(dir, 'out', 'main') });
  if (!started) throw new Error('the app did not start');
  desktop = started;
  const opened = fake.state.windows[0];
  if (!opened) throw new Error('no window was opened');
  window = opened;
});

afterEach(async () => {
  if (!fake.app.quitted) {
    fake.app.quit();
    await desktop.closed;
  }
  rmSync(dir, { recursive: true, force: true });
});

function call<T>(operation: string, input: unknown, event: FakeInvokeEvent = invokeEventFrom(window.webContents)): Promise<Result<T>> {
  return fake.ipcMain.invoke(`desk:${operation}`, event, input) as Promise<Result<T>>;
}

/** Rows written so far, read through a second connection to the same file. */
function countRows(): { attempts: number; outbox: number; clients: number; meta: number } {
  const reader = new BetterSqlite3(join(dir, databaseFileName), { readonly: true });
  try {
    const count = (table: string) => (reader.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { attempts: count('attempts'), outbox: count('outbox'), clients: count('clients'), meta: count('meta') };
  } finally {
    reader.close();
  }
}

async function firstClientCode(): Promise<string> {
  const seeded = await call<{ inserted: number }>('seedDemoClients', { count: 3 });
  expect(seeded).toEqual({ ok: true, value: { inserted: 3 } });
  const page = await call<ClientPage>('searchClients', {});
  if (!page.ok) throw new Error(page.error.message.en);
  const code = page.value.items[0]?.code;
  if (!code) throw new Error('no client');
  return code;
}

describe('IPC registration', () => {
  it('registers one handler per contract operation and nothing else', () => {
    const expected = operationNames.map((op) => channelOf(op)).sort();
    expect([...fake.ipcMain.handlers.keys()].sort()).toEqual(expected);
    expect(desktop.ipc.channels.sort()).toEqual(expected);
    expect(fake.ipcMain.listenerCount('message')).toBe(0);
  });

  it('opens the database in the user data folder and loads the bundled page', () => {
    expect(desktop.database.file).toBe(join(dir, databaseFileName));
    expect(window.loadedUrl).toBe('app://desk/index.html');
    expect(fake.app.sandboxEnabled).toBe(true);
  });
});

describe('a call from the app window', () => {
  it('records an attempt in the real database and reads it back', async () => {
    const named = await call<{ agent: { name: string } }>('updateSettings', { agentName: 'Awa Diallo' });
    expect(named.ok).toBe(true);
    const code = await firstClientCode();

    const recorded = await call<{ attempt: { id: string; status: string; agentName: string }; client: { status: string } }>(
      'recordAttempt',
      { clientCode: code, status: 'failure', channel: 'whatsapp' },
    );
    expect(recorded.ok).toBe(true);
    if (!recorded.ok) return;
    expect(recorded.value.attempt).toMatchObject({ status: 'failure', agentName: 'Awa Diallo' });
    expect(recorded.value.client.status).toBe('failure');

    const history = await call<{ items: { id: string; channel: string }[] }>('listHistory', { clientCode: code });
    expect(history.ok && history.value.items.map((a) => [a.id, a.channel])).toEqual([[recorded.value.attempt.id, 'whatsapp']]);
    expect(countRows()).toMatchObject({ attempts: 1, outbox: 1, clients: 3 });
  });

  it('refuses a malformed payload with input.invalid and writes nothing', async () => {
    await call('updateSettings', { agentName: 'Awa Diallo' });
    const code = await firstClientCode();
    const before = countRows();

    for (const bad of [
      { clientCode: code, status: 'maybe' },
      { clientCode: code, status: 'success', note: 'x'.repeat(5000) },
      { clientCode: code, status: 'success', agentId: 'someone-else' },
      'recordAttempt',
      [code, 'success'],
    ]) {
      const result = await call('recordAttempt', bad);
      expect(result).toMatchObject({ ok: false, error: { code: 'input.invalid' } });
      if (!result.ok) expect(result.error.message.fr).toMatch(/^Données invalides/);
    }
    expect(countRows()).toEqual(before);
  });
});

describe('a call from anywhere else', () => {
  async function expectForbidden(event: FakeInvokeEvent): Promise<void> {
    await call('updateSettings', { agentName: 'Awa Diallo' });
    const code = await firstClientCode();
    const before = countRows();
    for (const [operation, input] of [
      ['recordAttempt', { clientCode: code, status: 'success' }],
      ['updateSettings', { agentName: 'Intrus' }],
      ['seedDemoClients', { count: 5 }],
      ['getSettings', {}],
    ] as const) {
      const result = await call(operation, input, event);
      expect(result).toMatchObject({ ok: false, error: { code: 'sender.forbidden' } });
    }
    expect(countRows()).toEqual(before);
  }

  it('refuses a subframe of the app window, even one showing the app page', async () => {
    const sub = new FakeFrame(window.webContents.mainFrame.url, window.webContents.mainFrame);
    await expectForbidden(invokeEventFrom(window.webContents, sub));
  });

  it('refuses the app window once it shows another page', async () => {
    await expectForbidden(invokeEventFrom(window.webContents, new FakeFrame('https://evil.example/index.html')));
  });

  it('refuses a file:// page', async () => {
    await expectForbidden(invokeEventFrom(window.webContents, new FakeFrame(pathToFileURL(join(dir, 'index.html')).href)));
  });

  it('refuses the bundled file by file://: the app is app://desk/ only', async () => {
    await expectForbidden(invokeEventFrom(window.webContents, new FakeFrame(pathToFileURL(join(dir, 'out', 'renderer', 'index.html')).href)));
  });

  it('refuses another page of app://desk', async () => {
    await expectForbidden(invokeEventFrom(window.webContents, new FakeFrame('app://desk/other.html')));
  });

  it('refuses other web contents showing the same page', async () => {
    const other = new FakeWebContents(window.webContents.mainFrame.url);
    await expectForbidden(invokeEventFrom(other));
  });

  it('refuses a call whose frame is gone', async () => {
    await expectForbidden(invokeEventFrom(window.webContents, null));
  });

  it('refuses the app window\'s web contents once destroyed', async () => {
    window.webContents.destroyed = true;
    const result = await call('getSettings', {}, invokeEventFrom(window.webContents));
    expect(result).toMatchObject({ ok: false, error: { code: 'sender.forbidden' } });
  });
});

describe('events and menu', () => {
  it('sends menu commands to the window on the contract event channel', () => {
    const item = fake
      .menuTemplate()
      .flatMap((m: { submenu?: { id?: string }[] }) => m.submenu ?? [])
      .find((i: { id?: string }) => i.id === 'recordSuccess') as { click: () => void };
    item.click();
    expect(window.webContents.sent).toEqual([{ channel: eventChannelOf('menuCommand'), args: ['recordSuccess'] }]);
  });

  it('rebuilds the menu in English when the agent switches language', async () => {
    const topLabels = () => fake.menuTemplate().map((m: { label?: string }) => m.label);
    expect(topLabels()).toContain('Fichier');
    const menusBefore = fake.state.applicationMenus.length;
    await call('updateSettings', { agentName: 'Awa Diallo' });
    expect(fake.state.applicationMenus.length).toBe(menusBefore);
    const switched = await call<{ locale: string }>('updateSettings', { locale: 'en' });
    expect(switched).toMatchObject({ ok: true, value: { locale: 'en' } });
    expect(topLabels()).toContain('File');
    expect(topLabels()).not.toContain('Fichier');
  });
});

describe('shutdown', () => {
  it.skipIf(process.platform === 'darwin')('quits and closes the database when the agent closes the window (skipped on macOS: apps stay open there without windows)', async () => {
    window.close();
    await desktop.closed;
    expect(fake.app.quitted).toBe(true);
    expect(desktop.database.threadId()).toBeNull();
  });

  it('closes the database and removes the handlers before quitting', async () => {
    fake.app.quit();
    await desktop.closed;
    expect(fake.app.quitted).toBe(true);
    expect(desktop.database.threadId()).toBeNull();
    expect(fake.ipcMain.handlers.size).toBe(0);
  });

  it('reopens the same database on the next start, with what was recorded', async () => {
    await call('updateSettings', { agentName: 'Awa Diallo' });
    const code = await firstClientCode();
    await call('recordAttempt', { clientCode: code, status: 'success' });
    const deviceId = desktop.database.deviceId;
    fake.app.quit();
    await desktop.closed;

    resetFakeElectron();
    fake.app.userDataDir = dir;
    const again = await startDesktopApp({ mainDir: join(dir, 'out', 'main') });
    if (!again) throw new Error('the app did not restart');
    desktop = again;
    window = fake.state.windows[0] as FakeBrowserWindow;
    expect(desktop.database.deviceId).toBe(deviceId);
    const client = await call<{ status: string; attemptCount: number }>('getClient', { code });
    expect(client).toMatchObject({ ok: true, value: { status: 'success', attemptCount: 1 } });
  });
});
