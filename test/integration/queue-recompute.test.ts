// A new site list of reasons changes every failed client's retry time. Done in chunks of its own
// transactions (db/queue.ts), so clicks get in between; cut by a kill, it goes on at the next start.
// The oracle: the trigger is the rule, so once the recompute is over, touching every client again in
// one statement (what the single transaction did) must change nothing.

import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReasonDefinition } from '../../contract/index.ts';
import { defaultReasons } from '../../contract/index.ts';
import { queueRules, recomputeStep, syncQueueRules } from '../../db/queue.ts';
import { loadReasons } from '../../db/reasons.ts';
import type { Database } from '../../db/schema.ts';
import { getMeta } from '../../db/settings.ts';
import { openDatabase } from '../../db/connection.ts';
import { createDeskHandlers } from '../../db/desk.ts';
import { openTestDesk, type TestDesk } from '../helpers/local-db.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The defaults with "Pas de réponse" waiting 10 h and "Faux numéro" tried again: every failure moves. */
const otherSite: ReasonDefinition[] = defaultReasons.map((r) =>
  r.code === 'no-answer' && r.retry.kind === 'again'
    ? { ...r, retry: { ...r.retry, afterMinutes: 600 } }
    : r.code === 'wrong-number'
      ? { ...r, retry: { kind: 'again', afterMinutes: 30, maxAttempts: 3 } }
      : r,
);

type Row = { code: string; retry_wait_min: number | null; retry_at: string | null };
const snapshot = async (db: Kysely<Database>): Promise<Row[]> =>
  db.selectFrom('clients').select(['code', 'retry_wait_min', 'retry_at']).orderBy('code').execute();

/** What one statement over the whole base gives (the former single transaction): the oracle. */
async function touchedAtOnce(db: Kysely<Database>): Promise<Row[]> {
  await sql`UPDATE clients SET attempt_count = attempt_count WHERE last_status = 'failure' OR retry_at IS NOT NULL`.execute(db);
  return snapshot(db);
}

async function deskWithFailures(count: number): Promise<TestDesk> {
  const d = await openTestDesk();
  cleanups.push(() => d.cleanup());
  await d.desk.seedDemoClients({ count });
  const codes = (await d.desk.searchClients({ query: '', status: 'all', offset: 0, limit: 200 })).items.map((c) => c.code);
  const reasons = [undefined, 'no-answer', 'wrong-number', 'busy'] as const;
  for (const [i, code] of codes.entries()) {
    const reason = reasons[i % reasons.length];
    await d.desk.recordAttempt({ clientCode: code, status: i % 7 === 0 ? 'success' : 'failure', ...(reason && i % 7 !== 0 ? { reason } : {}) });
    d.clock.advance(61_000);
  }
  return d;
}

describe('a new site list of reasons', () => {
  it('moves every failed client’s retry time, chunk by chunk, as one statement over the base would', async () => {
    const d = await deskWithFailures(150);
    const db = d.local.db as unknown as Kysely<Database>;
    await syncQueueRules(db, await loadReasons(db));
    const before = await snapshot(db);
    await syncQueueRules(db, otherSite, 7);
    const after = await snapshot(db);
    expect(after.filter((r, i) => r.retry_at !== before[i]!.retry_at).length).toBeGreaterThan(50);
    expect(await getMeta(db, 'queue_recompute_after')).toBeNull();
    expect(await touchedAtOnce(db)).toEqual(after);
  });

  it('cut after a few chunks (a kill, a quit), goes on at the next start and ends as if never cut', async () => {
    const d = await deskWithFailures(120);
    const db = d.local.db as unknown as Kysely<Database>;
    await syncQueueRules(db, await loadReasons(db));
    // The rules change and three chunks of 10 are done, then the desk stops.
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('queue_rules').execute();
      await trx.insertInto('queue_rules').values(queueRules(otherSite)).execute();
      await trx.insertInto('meta').values({ key: 'queue_recompute_after', value: '0' }).onConflict((oc) => oc.column('key').doUpdateSet({ value: '0' })).execute();
    });
    for (let i = 0; i < 3; i++) expect(await recomputeStep(db, 10)).toBe(true);
    const mark = Number(await getMeta(db, 'queue_recompute_after'));
    expect(mark).toBeGreaterThan(0);
    const file = d.local.file;
    await d.local.close();

    // Next start: the base is opened again and the queue asked; the rest is done before it answers.
    const local = await openDatabase(file);
    cleanups.push(() => local.close());
    const desk = createDeskHandlers(local, { clock: d.clock });
    const partly = await snapshot(local.db as unknown as Kysely<Database>);
    expect(await getMeta(local.db, 'queue_recompute_after')).toBe(String(mark));
    await desk.nextClient({ exclude: [] });
    expect(await getMeta(local.db, 'queue_recompute_after')).toBeNull();
    const done = await snapshot(local.db as unknown as Kysely<Database>);
    expect(done).not.toEqual(partly);
    expect(await touchedAtOnce(local.db as unknown as Kysely<Database>)).toEqual(done);
  });

  it('lets a click in between two chunks', async () => {
    const d = await deskWithFailures(100);
    const db = d.local.db as unknown as Kysely<Database>;
    await syncQueueRules(db, await loadReasons(db));
    const code = (await d.desk.searchClients({ query: '', status: 'all', offset: 0, limit: 1 })).items[0]!.code;
    const recompute = syncQueueRules(db, otherSite, 5);
    // Until some chunks are done and more remain…
    let mark: string | null = null;
    for (let turn = 0; turn < 200 && (mark === null || mark === '0'); turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      mark = await getMeta(db, 'queue_recompute_after');
    }
    expect(Number(mark)).toBeGreaterThan(0);
    // …then a click: it is answered while the recompute is still under way.
    await d.desk.recordAttempt({ clientCode: code, status: 'failure' });
    expect(await getMeta(db, 'queue_recompute_after')).not.toBeNull();
    await recompute;
    expect(await getMeta(db, 'queue_recompute_after')).toBeNull();
    expect(await touchedAtOnce(db)).toEqual(await snapshot(db));
  });
});
