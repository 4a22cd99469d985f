// The queue's stored retry times (migration 0012, db/queue.ts) against the computation they replace:
// the scan of failures oldest first, each judged at every press by its last attempt's reason's rule
// (kept below as it was, the oracle). Random days of a real desk file: clicks with and without a
// reason, reasons given after the click, pulled pages from another desk with older attempts and
// their reasons, voids (local and pulled), a site list that changes its waits and stops; after each
// step both answer for several instants and passed-over clients, and must agree.

import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultFailureRetry, type NextClient, type ReasonDefinition } from '../../contract/index.ts';
import type { AttemptRecord } from '../../contract/records.ts';
import { dueCallbackClients, loadHandoverMinutes } from '../../db/callbacks.ts';
import { nextClient } from '../../db/queue.ts';
import { saveSiteReasons, loadReasons } from '../../db/reasons.ts';
import type { Database } from '../../db/schema.ts';
import { applyPulledPage } from '../../db/sync-apply.ts';
import { writeTransaction } from '../../db/tx.ts';
import { openTestDesk, type TestDesk } from '../helpers/local-db.ts';

/** The computation before migration 0012, unchanged but for its name: the oracle. */
/** Failures looked at per press, oldest first, before the queue says there is nobody left. */
const failureScan = 2000;

async function scanNextClient(
  db: Kysely<Database>,
  input: { agentIds: readonly string[]; now: Date; reasons: readonly ReasonDefinition[]; exclude: readonly string[] },
): Promise<NextClient | null> {
  const exclude = input.exclude.length > 0 ? [...input.exclude] : [''];
  const callback = await dueCallbackClients(db, input.agentIds, input.now, await loadHandoverMinutes(db))
    .where('client_code', 'not in', exclude)
    .limit(1)
    .executeTakeFirst();
  if (callback) return { code: callback.client_code, why: 'callback', dueAt: callback.due_at };

  const never = await db
    .selectFrom('clients')
    .select('code')
    .where('last_status', 'is', null)
    .where('code', 'not in', exclude)
    .orderBy('name_key')
    .orderBy('code')
    .limit(1)
    .executeTakeFirst();
  if (never) return { code: never.code, why: 'never', dueAt: null };

  // The rule of each reason as SQL: minutes to wait and attempts allowed, or out of the queue.
  const rules = input.reasons.filter((r) => r.status === 'failure');
  const again = rules.flatMap((r) => (r.retry.kind === 'again' ? [{ code: r.code, minutes: r.retry.afterMinutes, max: r.retry.maxAttempts }] : []));
  const stops = rules.filter((r) => r.retry.kind === 'stop').map((r) => r.code);
  const fallback = defaultFailureRetry.kind === 'again' ? defaultFailureRetry : { afterMinutes: 120, maxAttempts: 5 };
  const byReason = (value: (r: (typeof again)[number]) => number, otherwise: number) =>
    again.length === 0
      ? sql<number>`${otherwise}`
      : sql<number>`CASE attempt_reasons.code ${sql.join(
          again.map((r) => sql`WHEN ${r.code} THEN ${value(r)}`),
          sql` `,
        )} ELSE ${otherwise} END`;
  const minutes = byReason((r) => r.minutes, fallback.afterMinutes);
  const maxAttempts = byReason((r) => r.max, fallback.maxAttempts);
  const failure = await db
    .selectFrom((eb) =>
      eb
        .selectFrom('clients')
        .select(['code', 'last_attempt_at', 'last_attempt_id', 'attempt_count'])
        .where('last_status', '=', 'failure')
        .where('code', 'not in', exclude)
        .orderBy('last_status')
        .orderBy('last_attempt_at')
        .orderBy('code')
        .limit(failureScan)
        .as('oldest'),
    )
    .leftJoin('attempt_reasons', 'attempt_reasons.attempt_id', 'oldest.last_attempt_id')
    .select(['oldest.code', 'oldest.last_attempt_at', sql<number>`${minutes}`.as('minutes')])
    .where((eb) => (stops.length > 0 ? eb.or([eb('attempt_reasons.code', 'is', null), eb('attempt_reasons.code', 'not in', stops)]) : eb.lit(true)))
    .where(sql<boolean>`oldest.attempt_count < ${maxAttempts}`)
    .where(sql<boolean>`(julianday(${input.now.toISOString()}) - julianday(oldest.last_attempt_at)) * 1440 >= ${minutes}`)
    .limit(1)
    .executeTakeFirst();
  if (failure && failure.last_attempt_at) {
    return { code: failure.code, why: 'retry', dueAt: new Date(Date.parse(failure.last_attempt_at) + failure.minutes * 60_000).toISOString() };
  }
  return null;
}


/** A small seeded generator (mulberry32), so a failure names the seed that replays it. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Another site's list: other waits, "Occupé" stops, "Faux numéro" comes back, at most 2 attempts. */
const otherSite: ReasonDefinition[] = [
  { code: 'no-answer', status: 'failure', label: { fr: 'Pas de réponse', en: 'No answer' }, retry: { kind: 'again', afterMinutes: 45, maxAttempts: 3 } },
  { code: 'busy', status: 'failure', label: { fr: 'Occupé', en: 'Busy' }, retry: { kind: 'stop', flag: false } },
  { code: 'wrong-number', status: 'failure', label: { fr: 'Faux numéro', en: 'Wrong number' }, retry: { kind: 'again', afterMinutes: 600, maxAttempts: 2 } },
  { code: 'absent', status: 'failure', label: { fr: 'Absent', en: 'Away' }, retry: { kind: 'again', afterMinutes: 45, maxAttempts: 6 } },
  { code: 'reached', status: 'success', label: { fr: 'Joint', en: 'Reached' }, retry: { kind: 'stop', flag: false } },
];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function compareAt(d: TestDesk, codes: string[], random: () => number, where: string): Promise<number> {
  const db = d.local.db as unknown as Kysely<Database>;
  const reasons = await loadReasons(db);
  let retries = 0;
  for (const shiftMin of [0, 20 + Math.floor(random() * 200), 300 + Math.floor(random() * 900)]) {
    const now = new Date(d.clock.now().getTime() + shiftMin * 60_000);
    const exclude = codes.filter(() => random() < 0.1).slice(0, 8);
    const input = { agentIds: ['local:device-agent'], now, reasons, exclude };
    const expected = await scanNextClient(db, input);
    const got = await nextClient(db, input);
    expect(got, `${where}, now +${shiftMin} min, passing over ${exclude.length}`).toEqual(expected);
    if (got?.why === 'retry') retries += 1;
  }
  // Ten days on, every failure the rules keep is due: walk the whole queue, passing over each answer,
  // so that membership (stops, attempts allowed) is compared client by client, in order.
  const later = new Date(d.clock.now().getTime() + 10 * 86_400_000);
  const walk = async (next: typeof nextClient) => {
    const order: (NextClient | null)[] = [];
    const passed: string[] = [];
    for (;;) {
      const answer = await next(db, { agentIds: ['local:device-agent'], now: later, reasons, exclude: passed });
      order.push(answer);
      if (!answer) return order;
      passed.push(answer.code);
    }
  };
  expect(await walk(nextClient), `${where}, whole queue ten days on`).toEqual(await walk(scanNextClient));
  return retries;
}

describe('next client from stored retry times', () => {
  it.each([1, 2, 3, 4])('answers as the scan of failures did, on a random day (seed %i)', async (seed) => {
    const random = generator(seed);
    const d = await openTestDesk();
    cleanups.push(() => d.cleanup());
    const db = d.local.db as unknown as Kysely<Database>;
    await d.desk.seedDemoClients({ count: 20 });
    const codes = (await d.desk.searchClients({ query: '', status: 'all', offset: 0, limit: 20 })).items.map((c) => c.code);
    const pick = <T,>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    const reasonCodes = [undefined, undefined, 'no-answer', 'busy', 'voicemail-left', 'wrong-number', 'refused', 'absent', 'autre-site', 'reached'];
    const local: string[] = [];
    const pulled: AttemptRecord[] = [];
    // Everyone attempted once, so that the queue's answers are its retries.
    for (const code of codes) {
      const outcome = await d.desk.recordAttempt({ clientCode: code, status: random() < 0.8 ? 'failure' : 'success' });
      local.push(outcome.attempt.id);
      d.clock.advance(Math.floor(random() * 120_000));
    }
    let retries = 0;
    for (let step = 0; step < 90; step += 1) {
      const roll = random();
      let what: string;
      if (roll < 0.4) {
        const reason = pick(reasonCodes);
        const status = random() < 0.85 ? 'failure' : 'success';
        const clientCode = pick(codes);
        // A reason of the other result is refused (reason.wrongStatus): then the click without it.
        const outcome = await Promise.resolve(d.desk.recordAttempt({ clientCode, status, ...(reason && random() < 0.6 ? { reason } : {}) })).catch(() =>
          d.desk.recordAttempt({ clientCode, status }),
        );
        local.push(outcome.attempt.id);
        what = `record ${status} ${reason ?? ''}`;
        if (reason && random() < 0.3) {
          await Promise.resolve(d.desk.giveReason({ attemptId: outcome.attempt.id, code: reason })).catch(() => undefined);
          what += ' + reason after the click';
        }
      } else if (roll < 0.6) {
        // Another desk's attempts, some older than what this desk has, some with their reason.
        const attempts = Array.from({ length: 1 + Math.floor(random() * 4) }, () => {
          const reason = pick(reasonCodes);
          const record: AttemptRecord & { reason?: string } = {
            id: crypto.randomUUID(),
            clientCode: pick(codes),
            agentId: 'server:agent-2',
            agentName: 'Bruno Martin',
            occurredAt: new Date(d.clock.now().getTime() - Math.floor(random() * 5 * 3600_000)).toISOString(),
            utcOffsetMin: 60,
            status: random() < 0.8 ? 'failure' : 'success',
            channel: 'phone',
            note: null,
            deviceId: 'desk-2',
            ...(reason ? { reason } : {}),
          };
          return record;
        });
        const voids = pulled.length > 0 && random() < 0.3 ? [pick(pulled)] : [];
        await writeTransaction(db, (trx) =>
          applyPulledPage(
            trx,
            {
              clients: [],
              attempts,
              voids: voids.map((a) => ({ attemptId: a.id, agentId: 'server:agent-2', agentName: 'Bruno Martin', voidedAt: d.clock.now().toISOString(), utcOffsetMin: 60, reason: 'Erreur', kind: 'void', deviceId: 'desk-2' })),
            },
            d.clock.now().toISOString(),
          ),
        );
        pulled.push(...attempts);
        what = `pulled ${attempts.length} attempts, ${voids.length} void`;
      } else if (roll < 0.7) {
        const attemptId = pick(local);
        await Promise.resolve(d.desk.voidAttempt({ attemptId, reason: 'Mauvais client' })).catch(() => undefined);
        what = 'void';
      } else if (roll < 0.75) {
        const list = random() < 0.5 ? otherSite : null;
        await saveSiteReasons(db, list);
        what = list ? 'site list changed' : 'back to the defaults';
      } else {
        d.clock.advance(Math.floor(random() * 4 * 3600_000));
        what = 'time passes';
      }
      retries += await compareAt(d, codes, random, `seed ${seed}, step ${step} (${what})`);
    }
    // The comparison saw the retry step answer, not only "nobody" or the never-attempted.
    expect(retries).toBeGreaterThan(5);
    // And the stored columns are what the rule says for every client, not only for the ones asked.
    const rows = await sql<{ n: number }>`SELECT count(*) AS n FROM clients WHERE (retry_at IS NULL) <> (retry_wait_min IS NULL)`.execute(db);
    expect(Number(rows.rows[0]!.n)).toBe(0);
  }, 60_000);

  it('a reason that stops takes the client out at once, and a new list brings it back under its rule', async () => {
    const d = await openTestDesk();
    cleanups.push(() => d.cleanup());
    const db = d.local.db as unknown as Kysely<Database>;
    await d.desk.seedDemoClients({ count: 1 });
    const [code] = (await d.desk.searchClients({ query: '', status: 'all', offset: 0, limit: 1 })).items.map((c) => c.code);
    const outcome = await d.desk.recordAttempt({ clientCode: code!, status: 'failure' });
    const stored = () => db.selectFrom('clients').select(['retry_wait_min', 'retry_at']).where('code', '=', code!).executeTakeFirstOrThrow();
    await d.desk.nextClient({ exclude: [] });
    expect(await stored()).toEqual({ retry_wait_min: 120, retry_at: new Date(Date.parse(outcome.attempt.occurredAt) + 120 * 60_000).toISOString() });
    await d.desk.giveReason({ attemptId: outcome.attempt.id, code: 'wrong-number' });
    expect(await stored()).toEqual({ retry_wait_min: null, retry_at: null });
    await saveSiteReasons(db, otherSite);
    await d.desk.nextClient({ exclude: [] });
    expect(await stored()).toEqual({ retry_wait_min: 600, retry_at: new Date(Date.parse(outcome.attempt.occurredAt) + 600 * 60_000).toISOString() });
    d.clock.advance(600 * 60_000);
    expect(await d.desk.nextClient({ exclude: [] })).toMatchObject({ code, why: 'retry' });
  });
});
