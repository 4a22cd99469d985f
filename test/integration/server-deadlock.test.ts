// Concurrent pushes carrying the same ids in different orders, on PostgreSQL: once answered
// `500 deadlock detected` (up to 11 of 12). Rows are now locked in one order (attempts by id, then
// voids), and a transaction PostgreSQL still aborts is retried with backoff and jitter.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../../db/ids.ts';
import {
  ProtocolClient,
  attemptRecord,
  countRows,
  postgresUnavailableReason,
  startTestServer,
  testClient,
  voidRecord,
  type TestServer,
} from '../helpers/server.ts';

const pgReason = await postgresUnavailableReason();
if (pgReason) console.warn(`[skip] deadlock test needs PostgreSQL: ${pgReason}`);

const requests = 12;
const poolSize = 400;
const perRequest = 240;

/** Deterministic shuffles, so that a failure can be replayed. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe.skipIf(pgReason !== null)('concurrent overlapping pushes on PostgreSQL', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('postgres', { poolSize: requests });
    await server.clients(Array.from({ length: 20 }, (_, i) => testClient(`D${i}`)));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('12 pushes of overlapping ids in shuffled orders: no 5xx, every attempt and void stored once', { timeout: 120_000 }, async () => {
    const issued = await server.agent('Awa Diallo');
    const api = new ProtocolClient(server.url, issued.token);
    const attempts = Array.from({ length: poolSize }, (_, i) => attemptRecord({ id: uuidv7(), clientCode: `D${i % 20}`, agentId: issued.agentId }));
    const voids = new Map(attempts.filter((_, i) => i % 4 === 0).map((a) => [a.id, voidRecord({ attemptId: a.id, agentId: issued.agentId })]));

    const bodies = Array.from({ length: requests }, (_, r) => {
      const chosen = shuffled(attempts, r + 1).slice(0, perRequest);
      // Each void right after its attempt, so that the batch is valid whatever the order.
      return chosen.flatMap((record) => {
        const voided = voids.get(record.id);
        return voided ? [{ kind: 'attempt', record }, { kind: 'void', record: voided }] : [{ kind: 'attempt', record }];
      }).slice(0, 500);
    });
    const answers = await Promise.all(bodies.map((items, r) => api.push(`dev-${r}`, items)));
    const statuses = answers.map((a) => a.status);
    expect(statuses, JSON.stringify(answers.find((a) => a.status !== 200)?.body)).toEqual(Array(requests).fill(200));

    const applied = new Map<string, number>();
    for (const answer of answers) {
      for (const result of answer.body.results) {
        expect(result.outcome, JSON.stringify(result)).not.toBe('rejected');
        if (result.outcome === 'applied') applied.set(`${result.kind}:${result.id}`, (applied.get(`${result.kind}:${result.id}`) ?? 0) + 1);
      }
    }
    const sent = new Set(bodies.flat().map((item) => `${item.kind}:${'id' in item.record ? item.record.id : item.record.attemptId}`));
    expect([...applied.keys()].sort()).toEqual([...sent].sort());
    expect([...applied.values()].every((n) => n === 1)).toBe(true);

    const counts = await countRows(server.database.url);
    const sentAttempts = [...sent].filter((k) => k.startsWith('attempt:')).length;
    const sentVoids = [...sent].filter((k) => k.startsWith('void:')).length;
    expect(counts.attempts).toBe(sentAttempts);
    expect(counts.voids).toBe(sentVoids);
    const pulled = await api.pullAll();
    const seen = new Set<string>();
    for (const change of pulled.changes) {
      if (change.kind === 'void') expect(seen.has(change.record.attemptId)).toBe(true);
      if (change.kind === 'attempt') seen.add(change.record.id);
    }
  });
});
