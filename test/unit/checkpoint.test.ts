// The UI's connection never checkpoints inside a click's commit; it does once writes pause.
import { afterEach, expect, it, vi } from 'vitest';
import { checkpointDefaults, createIdleCheckpointer } from '../../db/checkpoint.ts';
import { openDatabase } from '../../db/connection.ts';
import { openTestDesk, tempDir, type TestDesk } from '../helpers/local-db.ts';
import { join } from 'node:path';
import { rmSync, statSync } from 'node:fs';

let t: TestDesk | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await t?.cleanup();
  t = undefined;
});

it('the app connection leaves checkpoints to the idle checkpointer; the sync worker’s keeps SQLite’s', async () => {
  const dir = tempDir();
  const ui = await openDatabase(join(dir, 'desk.db'));
  const worker = await openDatabase(join(dir, 'desk.db'), { checkpoint: 'auto' });
  expect(ui.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
  expect(worker.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  await worker.close();
  await ui.close();
  rmSync(dir, { recursive: true, force: true });
});

it('checkpoints after a quiet pause, not during a burst, and at once past the write cap', async () => {
  t = await openTestDesk();
  const checkpoints = vi.spyOn(t.local.sqlite, 'pragma');
  const ran = () => checkpoints.mock.calls.filter(([p]) => String(p).startsWith('wal_checkpoint')).length;
  vi.useFakeTimers();
  const checkpointer = createIdleCheckpointer(t.local.sqlite, { quietMs: 1000, maxWrites: 5 });
  for (let i = 0; i < 4; i++) {
    checkpointer.noteWrite();
    vi.advanceTimersByTime(900);
  }
  expect(ran()).toBe(0); // a write every 0.9 s keeps it waiting
  vi.advanceTimersByTime(1000);
  expect(ran()).toBe(1);
  for (let i = 0; i < 5; i++) checkpointer.noteWrite();
  expect(ran()).toBe(1); // not inside the fifth write of a burst: its answer goes first…
  vi.advanceTimersByTime(0);
  expect(ran()).toBe(2); // …then it runs, without waiting for a pause
  checkpointer.noteWrite();
  checkpointer.stop();
  vi.advanceTimersByTime(5000);
  expect(ran()).toBe(2);
});

it('the desk notes its writes, so a recorded attempt is checkpointed once the agent pauses', async () => {
  t = await openTestDesk();
  await t.desk.seedDemoClients({ count: 3 });
  const client = (await t.desk.searchClients({ query: '', status: 'all', offset: 0, limit: 1 })).items[0]!;
  const noted = vi.spyOn(t.local, 'noteWrite');
  await t.desk.recordAttempt({ clientCode: client.code, status: 'success' });
  await t.desk.getClient({ code: client.code });
  expect(noted).toHaveBeenCalledTimes(1);
});

it('bounds the durability window: a checkpoint at the latest maxDelayMs after a write, while clicks continue', async () => {
  t = await openTestDesk();
  const checkpoints = vi.spyOn(t.local.sqlite, 'pragma');
  const ran = () => checkpoints.mock.calls.filter(([p]) => String(p).startsWith('wal_checkpoint')).length;
  vi.useFakeTimers();
  const checkpointer = createIdleCheckpointer(t.local.sqlite, { quietMs: 1000, maxWrites: 1000, maxDelayMs: 3000 });
  for (let i = 0; i < 3; i++) {
    checkpointer.noteWrite();
    vi.advanceTimersByTime(900);
  }
  expect(ran()).toBe(0);
  checkpointer.noteWrite(); // at 2.7 s: the quiet pause never comes…
  vi.advanceTimersByTime(300);
  expect(ran()).toBe(1); // …but 3 s after the first write, the checkpoint runs
  checkpointer.stop();
});

it('a failing checkpoint (disk full) is logged and tried again, never thrown from its timer', async () => {
  t = await openTestDesk();
  const original = t.local.sqlite.pragma.bind(t.local.sqlite);
  let fail = true;
  const attempts: string[] = [];
  vi.spyOn(t.local.sqlite, 'pragma').mockImplementation(((source: string, options?: never) => {
    if (source.startsWith('wal_checkpoint')) {
      attempts.push(fail ? 'failed' : 'ran');
      if (fail) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    }
    return original(source, options);
  }) as typeof original);
  const errors: unknown[] = [];
  vi.useFakeTimers();
  const checkpointer = createIdleCheckpointer(t.local.sqlite, { quietMs: 100, retryMs: 1000, onError: (e) => errors.push(e) });
  checkpointer.noteWrite();
  vi.advanceTimersByTime(100);
  expect(attempts).toEqual(['failed']);
  expect(errors).toHaveLength(1);
  fail = false;
  vi.advanceTimersByTime(1000);
  expect(attempts).toEqual(['failed', 'ran']);
  checkpointer.stop();
});

it('the database worker’s connection checkpoints on a thread of its own: the base file takes the WAL’s pages, this connection runs no checkpoint', async () => {
  const dir = tempDir();
  const file = join(dir, 'desk.db');
  const local = await openDatabase(file, { checkpointThread: true });
  try {
    const own = vi.spyOn(local.sqlite, 'pragma');
    const insert = local.sqlite.prepare(`INSERT INTO meta (key, value) VALUES (?, ?)`);
    local.sqlite.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run(`probe-${i}`, 'x'.repeat(500));
    })();
    const before = statSync(file).size;
    local.noteWrite(checkpointDefaults.maxWrites); // past the write cap: at once
    const started = Date.now();
    while (statSync(file).size <= before && Date.now() - started < 10_000) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(statSync(file).size).toBeGreaterThan(before + 500_000);
    expect(own.mock.calls.filter(([p]) => String(p).startsWith('wal_checkpoint'))).toEqual([]);
  } finally {
    await local.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
