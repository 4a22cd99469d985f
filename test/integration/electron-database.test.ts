// The database worker as main runs it (fake electron, real worker thread, real SQLite file): main
// keeps answering while a large import runs in the worker, an import can be stopped, and a crashed
// worker is restarted and the window told.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread, threadId } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('../helpers/fake-electron.ts')).electronModule);

import type { DatabaseState, ImportProgress, ImportReport, Result } from '../../contract/index.ts';
import { eventChannelOf } from '../../contract/events.ts';
import { databaseFileName, startDesktopApp, type DesktopApp } from '../../main/app.ts';
import { fake, invokeEventFrom, resetFakeElectron, type FakeBrowserWindow } from '../helpers/fake-electron.ts';
import { tempDir } from '../helpers/local-db.ts';
import { clientsFile } from './import-file.ts';

let dir: string;
let desktop: DesktopApp;
let window: FakeBrowserWindow;

beforeEach(async () => {
  resetFakeElectron();
  dir = tempDir('desk-electron-db-');
  fake.app.userDataDir = dir;
  const started = await startDesktopApp({ mainDir: join(dir, 'out', 'main') });
  if (!started) throw new Error('the app did not start');
  desktop = started;
  window = fake.state.windows[0] as FakeBrowserWindow;
  await call('updateSettings', { agentName: 'Awa Diallo' });
});

afterEach(async () => {
  if (!fake.app.quitted) {
    fake.app.quit();
    await desktop.closed;
  }
  rmSync(dir, { recursive: true, force: true });
});

function call<T>(operation: string, input: unknown): Promise<Result<T>> {
  return fake.ipcMain.invoke(`desk:${operation}`, invokeEventFrom(window.webContents), input) as Promise<Result<T>>;
}

function sent<T>(event: string): T[] {
  return window.webContents.sent.filter((m) => m.channel === eventChannelOf(event as never)).map((m) => m.args[0] as T);
}

function countClients(): number {
  const reader = new BetterSqlite3(join(dir, databaseFileName), { readonly: true });
  try {
    return (reader.prepare('SELECT count(*) AS n FROM clients').get() as { n: number }).n;
  } finally {
    reader.close();
  }
}

async function until(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the database runs in its own thread', () => {
  it('is not main\'s thread', () => {
    expect(isMainThread).toBe(true);
    expect(desktop.database.threadId()).not.toBeNull();
    expect(desktop.database.threadId()).not.toBe(threadId);
  });

  it('main keeps ticking, and clicks and searches answer, while 60,000 lines are imported', async () => {
    const seeded = await call<{ inserted: number }>('seedDemoClients', { count: 50 });
    expect(seeded.ok).toBe(true);
    const page = await call<{ items: { code: string }[] }>('searchClients', { limit: 1 });
    const code = page.ok ? page.value.items[0]!.code : '';

    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    let importDone = false;
    const importing = call<ImportReport>('importClients', { fileName: 'gros.csv', content: clientsFile(60_000), importId: 'big' }).then((r) => {
      importDone = true;
      return r;
    });
    await until(() => sent<ImportProgress>('importProgress').some((p) => (p.linesCommitted ?? 0) > 0));

    const answeredDuringImport: number[] = [];
    for (let i = 0; i < 5 && !importDone; i++) {
      const started = performance.now();
      const clicked = await call('recordAttempt', { clientCode: code, status: i % 2 ? 'success' : 'failure' });
      const searched = await call('searchClients', { query: 'CLIENT' });
      expect(clicked.ok && searched.ok).toBe(true);
      if (!importDone) answeredDuringImport.push(performance.now() - started);
    }
    const report = await importing;
    clearInterval(ticker);
    lag.disable();

    expect(report).toMatchObject({ ok: true, value: { total: 60_000, inserted: 60_000, rejected: [] } });
    // The clicks did not wait for the whole import (it took seconds), only for a chunk at most.
    expect(answeredDuringImport.length).toBeGreaterThan(0);
    const maxLagMs = lag.max / 1e6;
    console.log(`main's event loop during the import: max ${maxLagMs.toFixed(1)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms; ` +
      `click+search during it: ${answeredDuringImport.map((ms) => ms.toFixed(0)).join(', ')} ms`);
    // Generous for a shared 2-core machine (the bench measures the 20 ms target): the import itself
    // used to block main for its whole length, seconds.
    expect(lag.percentile(99) / 1e6).toBeLessThan(100);
    expect(maxLagMs).toBeLessThan(1000);
    expect(ticks).toBeGreaterThan(10);
    expect(countClients()).toBe(60_050);
  }, 90_000);

  it('stops an import after its current chunk: the committed lines stay, the report says so', async () => {
    const importing = call<ImportReport>('importClients', { content: clientsFile(60_000), importId: 'stop-me' });
    await until(() => sent<ImportProgress>('importProgress').some((p) => (p.linesCommitted ?? 0) > 0));
    expect(await call('cancelImport', { importId: 'stop-me' })).toEqual({ ok: true, value: { cancelled: true } });
    const report = await importing;
    expect(report.ok).toBe(true);
    if (!report.ok) return;
    expect(report.value.cancelled).toBe(true);
    expect(report.value.inserted).toBeLessThan(60_000);
    expect(countClients()).toBe(report.value.inserted);
    expect(await call('cancelImport', { importId: 'stop-me' })).toEqual({ ok: true, value: { cancelled: false } });
  }, 60_000);
});

describe('a crashed database worker', () => {
  it('is restarted, the window is told, and the next calls are answered', async () => {
    const before = desktop.database.threadId();
    await desktop.database.kill();
    await until(() => sent<DatabaseState>('databaseState').some((s) => s.status === 'ready'));
    const states = sent<DatabaseState>('databaseState');
    expect(states[0]).toMatchObject({ status: 'restarting', restarts: 1 });
    expect(states[0]?.message?.fr).toMatch(/redémarré/);
    expect(states.at(-1)).toEqual({ status: 'ready', restarts: 1, message: null });
    expect(desktop.database.threadId()).not.toBe(before);
    expect(await call('getSettings', {})).toMatchObject({ ok: true, value: { agent: { name: 'Awa Diallo' } } });
  });

  it('answers a call it was running with database.restarting, and calls made meanwhile wait for the new worker', async () => {
    const importing = call('importClients', { content: clientsFile(60_000), importId: 'crash' });
    await until(() => sent<ImportProgress>('importProgress').length > 0);
    await desktop.database.kill();
    const waiting = call('getSettings', {});
    expect(await importing).toMatchObject({ ok: false, error: { code: 'database.restarting' } });
    expect(await waiting).toMatchObject({ ok: true, value: { agent: { name: 'Awa Diallo' } } });
  }, 60_000);
});

describe('the menu\'s backup and restore', () => {
  function menuItem(id: string): { label: string; click: () => void } {
    const item = fake
      .menuTemplate()
      .flatMap((m: { submenu?: { id?: string }[] }) => m.submenu ?? [])
      .find((i: { id?: string }) => i.id === id);
    if (!item) throw new Error(`no menu item ${id}`);
    return item as { label: string; click: () => void };
  }

  it('"Sauvegarder la base…" writes a whole copy where the agent chose; "Restaurer une sauvegarde…" brings it back, keeping the unsynced clicks', async () => {
    await call('seedDemoClients', { count: 3 });
    const page = await call<{ items: { code: string }[] }>('searchClients', { limit: 1 });
    const code = page.ok ? page.value.items[0]!.code : '';
    const before = await call<{ attempt: { id: string } }>('recordAttempt', { clientCode: code, status: 'failure' });

    const target = join(dir, 'ma-sauvegarde.db');
    fake.state.dialogAnswers.push({ filePath: target }, { response: 0 });
    expect(menuItem('backupDatabase').label).toBe('Sauvegarder la base…');
    menuItem('backupDatabase').click();
    await until(() => fake.state.dialogs.some((d) => d.kind === 'message'));
    expect(fake.state.dialogs.at(-1)?.options.message).toBe(`Sauvegarde enregistrée : ${target}`);
    const copy = new BetterSqlite3(target, { readonly: true });
    expect(copy.prepare('SELECT id FROM attempts').all()).toEqual([{ id: before.ok && before.value.attempt.id }]);
    copy.close();

    const after = await call<{ attempt: { id: string } }>('recordAttempt', { clientCode: code, status: 'success' });
    fake.state.dialogs.length = 0;
    fake.state.dialogAnswers.push({ filePaths: [target] }, { response: 0 }, { response: 0 });
    expect(menuItem('restoreDatabase').label).toBe('Restaurer une sauvegarde…');
    menuItem('restoreDatabase').click();
    await until(() => fake.state.dialogs.filter((d) => d.kind === 'message').length === 2);
    expect(fake.state.dialogs.map((d) => d.kind)).toEqual(['open', 'message', 'message']);
    expect(fake.state.dialogs[2]?.options.message).toMatch(/^Sauvegarde restaurée\. 2 tentative/);
    expect(window.webContents.reloads).toBe(1);
    const client = await call<{ attemptCount: number; status: string }>('getClient', { code });
    expect(client).toMatchObject({ ok: true, value: { attemptCount: 2, status: after.ok ? 'success' : '?' } });
  });

  it('does nothing when the agent cancels a dialog', async () => {
    menuItem('restoreDatabase').click();
    await until(() => fake.state.dialogs.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.state.dialogs.map((d) => d.kind)).toEqual(['open']);
    expect(window.webContents.reloads).toBe(0);
  });
});
