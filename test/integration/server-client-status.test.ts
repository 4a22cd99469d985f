// The server keeps each client's status in the push's transaction, by the desk's code: whatever
// order attempts and voids arrive in, the kept status, count and failures in a row equal what the
// shared rule (contract/status-rule.ts) computes from the client's history. SQLite and PostgreSQL.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusAttempt } from '../../contract/status-rule.ts';
import type { AttemptRecord } from '../../contract/records.ts';
import { seededRandom } from '../../db/demo.ts';
import { createAgent, putClients, startServer, type RunningServer } from '../../server/index.ts';
import { openServerDatabase } from '../../server/storage/database.ts';
import { ProtocolClient, attemptRecord, createTestDatabase, postgresUnavailableReason, testClient, voidRecord, type Backend, type TestDatabase } from '../helpers/server.ts';

const pgReason = await postgresUnavailableReason();
if (pgReason) console.warn(`[skip] server client status on PostgreSQL skipped: ${pgReason}`);

describe.each([
  { backend: 'sqlite' as Backend, skip: false },
  { backend: 'postgres' as Backend, skip: pgReason !== null },
])('server client status on $backend', ({ backend, skip }) => {
  let database: TestDatabase;
  let server: RunningServer;
  beforeAll(async () => {
    if (skip) return;
    database = await createTestDatabase(backend);
    server = await startServer({ db: database.url, rateLimit: { max: 10_000, timeWindowMs: 60_000 } });
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  // Shuffled: late attempts and voids recount from the history. In time order: each push carries
  // the failures in a row on from the row (client-status.ts), which must give the same figures.
  it.skipIf(skip).each([
    { order: 'shuffled', seed: 11, prefix: 'S' },
    { order: 'in time order', seed: 12, prefix: 'T' },
  ])('equals the shared rule over the history, arriving $order, after voids too', async ({ order, seed, prefix }) => {
    const random = seededRandom(seed);
    const codes = Array.from({ length: 12 }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
    await putClients(database.url, codes.map((c) => testClient(c)));
    const agent = await createAgent(database.url, 'Awa Diallo');
    const api = new ProtocolClient(server.url, agent.token);
    const base = Date.parse('2026-11-01T08:00:00.000Z');
    const attempts: AttemptRecord[] = [];
    for (let i = 0; i < 240; i += 1) {
      // Some attempts share a time, so the id breaks the tie.
      const at = new Date(base + Math.floor(random() * 60) * 60_000).toISOString();
      attempts.push(attemptRecord({ clientCode: codes[Math.floor(random() * codes.length)]!, occurredAt: at, status: random() < 0.4 ? 'success' : 'failure', deviceId: 'poste-1' }));
    }
    const shuffled =
      order === 'shuffled'
        ? [...attempts].sort(() => random() - 0.5)
        : [...attempts].sort((a, b) => (a.occurredAt === b.occurredAt ? (a.id < b.id ? -1 : 1) : a.occurredAt < b.occurredAt ? -1 : 1));
    const voided = new Set<string>();
    for (let i = 0; i < shuffled.length; i += 37) {
      const batch = shuffled.slice(i, i + 37);
      const items: unknown[] = batch.map((record) => ({ kind: 'attempt', record }));
      // Voids of attempts already sent (or in this very batch), among them the latest ones.
      for (const sentBefore of shuffled.slice(0, i + 37)) {
        if (!voided.has(sentBefore.id) && random() < (order === 'shuffled' ? 0.04 : 0.005)) {
          voided.add(sentBefore.id);
          items.push({ kind: 'void', record: voidRecord({ attemptId: sentBefore.id, deviceId: 'poste-1' }) });
        }
      }
      const pushed = await api.push('poste-1', items);
      expect(pushed.status, JSON.stringify(pushed.body).slice(0, 300)).toBe(200);
      expect(pushed.body.results.every((r: { outcome: string }) => r.outcome === 'applied')).toBe(true);
    }

    const sdb = await openServerDatabase(database.url, { migrate: false, poolSize: 1 });
    try {
      const kept = await sdb.db.selectFrom('clients').selectAll().where('code', 'in', codes).orderBy('code').execute();
      for (const client of kept) {
        const history = attempts.filter((a) => a.clientCode === client.code).map((a) => ({ ...a, occurred_at: a.occurredAt, voided: voided.has(a.id) }));
        const latest = statusAttempt(history);
        const live = history.filter((h) => !h.voided).sort((a, b) => (a.occurred_at === b.occurred_at ? (a.id < b.id ? 1 : -1) : a.occurred_at < b.occurred_at ? 1 : -1));
        const streak = live.findIndex((h) => h.status === 'success');
        expect(
          { status: client.last_status, id: client.last_attempt_id, at: client.last_attempt_at, count: Number(client.attempt_count), streak: Number(client.failure_streak) },
          client.code,
        ).toEqual({ status: latest?.status ?? null, id: latest?.id ?? null, at: latest?.occurredAt ?? null, count: live.length, streak: streak === -1 ? live.length : streak });
      }
    } finally {
      await sdb.close();
    }
  });
});
