// A full disk, for real: the desk's database on a small tmpfs, filled up by another file. The click
// that cannot be written says "Disque plein", nothing of it is half-written, the database worker
// keeps running (reads still answer), and once space is freed the next click is recorded.
// Needs root to mount the tmpfs (as in CI's container); elsewhere it is skipped, saying why.

import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, statfsSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttemptOutcome, ClientPage, DatabaseState, ImportReport, Result } from '../../contract/index.ts';
import { startDatabase, type DatabaseClient } from '../../db/database-client.ts';
import { recomputedStatuses } from '../helpers/db-snapshot.ts';
import { tempDir } from '../helpers/local-db.ts';
import { clientsFile } from './import-file.ts';

function mountTmpfs(dir: string, size: string): string | null {
  if (process.platform !== 'linux') return 'tmpfs mounts need Linux';
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (error) {
    return `mount -t tmpfs failed: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`;
  }
}

/** Fills the file system with one file until it refuses a byte more. */
function fillDisk(file: string): void {
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    // Down to the last bytes: a 64 KiB block may not fit where a 4 KiB page would.
    const small = Buffer.alloc(512, 1);
    try {
      for (;;) writeSync(fd, small);
    } catch (inner) {
      if ((inner as NodeJS.ErrnoException).code !== 'ENOSPC') throw inner;
    }
  } finally {
    closeSync(fd);
  }
}

const root = tempDir('desk-disk-full-');
const mountPoint = join(root, 'small-disk');
mkdirSync(mountPoint);
const skipReason = mountTmpfs(mountPoint, '6m');
if (skipReason) console.log(`disk-full test skipped: ${skipReason}`);

describe.skipIf(skipReason !== null)('a full disk (a 6 MiB tmpfs)', () => {
  const file = join(mountPoint, 'notification-desk.db');
  const filler = join(mountPoint, 'filler.bin');
  let database: DatabaseClient;
  const states: DatabaseState[] = [];
  let code = '';

  beforeAll(async () => {
    database = await startDatabase({ file, emit: (event, payload) => event === 'databaseState' && states.push(payload as DatabaseState) });
    await database.call('updateSettings', { agentName: 'Awa Diallo' });
    await database.call('seedDemoClients', { count: 20 });
    const page = (await database.call('searchClients', { limit: 1 })) as Result<ClientPage>;
    code = page.ok ? page.value.items[0]!.code : '';
  });

  afterAll(async () => {
    await database?.stop();
    execFileSync('umount', [mountPoint]);
    rmSync(root, { recursive: true, force: true });
  });

  function consistent(): { attempts: number; outboxAttempts: number; statuses: ReturnType<typeof recomputedStatuses> } {
    const reader = new BetterSqlite3(file, { readonly: true });
    try {
      const n = (sql: string) => (reader.prepare(sql).get() as { n: number }).n;
      return {
        attempts: n('SELECT count(*) AS n FROM attempts'),
        outboxAttempts: n(`SELECT count(*) AS n FROM outbox WHERE kind = 'attempt'`),
        statuses: recomputedStatuses(reader),
      };
    } finally {
      reader.close();
    }
  }

  it('refuses the click with "Disque plein", writes none of it, keeps answering, and records again once space is freed', async () => {
    fillDisk(filler);
    let refused: Result<AttemptOutcome> | null = null;
    let recorded = 0;
    // The WAL reuses the space it already has: clicks fail once it needs more (a few hundred at most here).
    for (let i = 0; i < 5000 && !refused; i++) {
      const result = (await database.call('recordAttempt', { clientCode: code, status: i % 2 ? 'success' : 'failure', note: 'x'.repeat(900) })) as Result<AttemptOutcome>;
      if (result.ok) recorded++;
      else refused = result;
    }
    expect(refused).toMatchObject({ ok: false, error: { code: 'storage.full' } });
    if (refused && !refused.ok) expect(refused.error.message.fr).toMatch(/^Disque plein : libérez de l’espace/);

    // Nothing half-written: each attempt has its outbox entry, each status its history.
    const after = consistent();
    expect(after.attempts).toBe(recorded);
    expect(after.outboxAttempts).toBe(recorded);
    expect(after.statuses.stored).toEqual(after.statuses.recomputed);

    // The worker still runs and reads still answer; nothing restarted.
    expect(await database.call('getClient', { code })).toMatchObject({ ok: true, value: { attemptCount: recorded } });
    expect(states).toEqual([]);

    rmSync(filler);
    const again = (await database.call('recordAttempt', { clientCode: code, status: 'success' })) as Result<AttemptOutcome>;
    expect(again).toMatchObject({ ok: true, value: { client: { status: 'success', attemptCount: recorded + 1 } } });
  }, 120_000);

  it('an import stopped by the full disk names the cause, keeps whole chunks, and gives the WAL\'s space back', async () => {
    const walBytes = () => {
      try {
        return statSync(`${file}-wal`).size;
      } catch {
        return 0;
      }
    };
    // The agent's other files take 3.5 MiB of the disk: about 1.5 MiB is left, which the import
    // overflows. Freeing the 3.5 MiB then leaves room to copy what was committed into the base (the
    // checkpoint needs the base to grow by what the WAL holds before the WAL can go).
    const fd = openSync(filler, 'w');
    writeSync(fd, Buffer.alloc(3584 * 1024, 1));
    closeSync(fd);
    const result = (await database.call('importClients', { content: clientsFile(60_000) })) as Result<ImportReport>;
    expect(result).toMatchObject({ ok: false, error: { code: 'storage.full' } });
    if (!result.ok) expect(result.error.message.fr).toMatch(/^Disque plein/);
    const full = statfsSync(mountPoint);
    console.log(`after the failed import: WAL ${walBytes()} bytes, ${full.bavail * full.bsize} bytes free`);

    // Space freed: without a click, the worker copies the committed chunks into the base and gives
    // the WAL's space back (truncated), instead of keeping megabytes of a rolled-back chunk.
    rmSync(filler);
    const until = Date.now() + 30_000;
    while (walBytes() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(walBytes()).toBe(0);
    const reader = new BetterSqlite3(file, { readonly: true });
    const imported = (reader.prepare(`SELECT count(*) AS n FROM clients WHERE code LIKE 'IMP%'`).get() as { n: number }).n;
    expect((reader.prepare('PRAGMA quick_check').get() as { quick_check: string }).quick_check).toBe('ok');
    reader.close();
    console.log(`clients kept from the stopped import: ${imported}`);
    expect(imported).toBeGreaterThan(0);
    const click = (await database.call('recordAttempt', { clientCode: code, status: 'failure' })) as Result<AttemptOutcome>;
    expect(click.ok).toBe(true);
  }, 120_000);
});
