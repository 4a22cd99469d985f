// The dashboard reads tallies the push keeps (server/attempt-tallies.ts) instead of counting attempts.
// Oracle: after random pushes over HTTP (several agents and channels, times over days that include a
// DST change, re-sent batches, voids of attempts sent earlier or in the same batch), every figure of
// loadDashboard equals what a direct count over the records the test sent gives, for single days and
// periods, in Paris and in a zone at +05:30 (whose day bounds fall inside UTC hours); and the
// migration's rebuild from the history gives the very tallies the pushes kept; the count of clients
// whose last N attempts failed equals a count over the clients. SQLite and PostgreSQL.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../../contract/records.ts';
import { seededRandom } from '../../db/demo.ts';
import { rebuildAttemptTallies } from '../../server/attempt-tallies.ts';
import { loadDashboard } from '../../server/console/pages/dashboard.ts';
import { dayOf, zoneOffsetMin } from '../../server/console/time.ts';
import { createAgent, putClients, startServer, type RunningServer } from '../../server/index.ts';
import { openServerDatabase } from '../../server/storage/database.ts';
import { ProtocolClient, attemptRecord, createTestDatabase, postgresUnavailableReason, testClient, voidRecord, type Backend, type TestDatabase } from '../helpers/server.ts';

const pgReason = await postgresUnavailableReason();
if (pgReason) console.warn(`[skip] dashboard tallies on PostgreSQL skipped: ${pgReason}`);

interface Sent {
  record: AttemptRecord;
  agentId: string;
  agentName: string;
}

/** The dashboard's figures counted straight from what was sent: the oracle. */
function oracle(sent: Sent[], voided: Set<string>, from: string, to: string, timeZone: string) {
  const live = sent.filter((s) => !voided.has(s.record.id) && dayOf(new Date(s.record.occurredAt), timeZone) >= from && dayOf(new Date(s.record.occurredAt), timeZone) <= to);
  const tally = (key: (s: Sent) => string, label: (s: Sent) => string) => {
    const out = new Map<string, { key: string; label: string; attempts: number; successes: number }>();
    for (const s of live) {
      const e = out.get(key(s)) ?? { key: key(s), label: label(s), attempts: 0, successes: 0 };
      e.attempts += 1;
      if (s.record.status === 'success') e.successes += 1;
      out.set(key(s), e);
    }
    return [...out.values()].sort((a, b) => b.attempts - a.attempts || a.label.localeCompare(b.label));
  };
  const perHour = Array.from({ length: 24 }, () => 0);
  for (const s of live) {
    const at = new Date(s.record.occurredAt);
    perHour[new Date(at.getTime() + zoneOffsetMin(at, timeZone) * 60_000).getUTCHours()]! += 1;
  }
  return {
    attempts: live.length,
    successes: live.filter((s) => s.record.status === 'success').length,
    perAgent: tally((s) => s.agentId, (s) => s.agentName),
    perChannel: tally((s) => s.record.channel, (s) => s.record.channel),
    perHour,
  };
}

describe.each([
  { backend: 'sqlite' as Backend, skip: false },
  { backend: 'postgres' as Backend, skip: pgReason !== null },
])('dashboard tallies on $backend', ({ backend, skip }) => {
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

  it.skipIf(skip)('equal a direct count over the attempts after random pushes and voids, and the rebuild from the history', async () => {
    const random = seededRandom(23);
    const codes = Array.from({ length: 30 }, (_, i) => `D${String(i).padStart(3, '0')}`);
    await putClients(database.url, codes.map((c) => testClient(c)));
    const agents = [];
    for (const name of ['Awa Diallo', 'Marc Petit', 'Inès Kone']) agents.push(await createAgent(database.url, name));
    const channels = ['phone', 'whatsapp', 'sms', 'email', 'visit'];
    // 2026-10-24 to 2026-10-27 in Paris: the clocks go back on the 25th (a 25-hour day).
    const base = Date.parse('2026-10-23T20:00:00.000Z');
    const sent: Sent[] = [];
    const voided = new Set<string>();
    for (let round = 0; round < 14; round += 1) {
      for (const agent of agents) {
        const api = new ProtocolClient(server.url, agent.token);
        const batch: Sent[] = Array.from({ length: 1 + Math.floor(random() * 25) }, () => ({
          record: attemptRecord({
            clientCode: codes[Math.floor(random() * codes.length)]!,
            occurredAt: new Date(base + Math.floor(random() * 4 * 24 * 60) * 60_000).toISOString(),
            status: random() < 0.45 ? 'success' : 'failure',
            channel: channels[Math.floor(random() * channels.length)]!,
            deviceId: `poste-${agent.agentId}`,
          }),
          agentId: agent.agentId,
          agentName: agent.agentName,
        }));
        const items: unknown[] = batch.map((s) => ({ kind: 'attempt', record: s.record }));
        // Voids of this agent's attempts, sent before or earlier in this batch (only its author voids).
        const mine = [...sent, ...batch].filter((s) => s.agentId === agent.agentId && !voided.has(s.record.id));
        for (const s of mine) {
          if (random() < 0.05) {
            voided.add(s.record.id);
            items.push({ kind: 'void', record: voidRecord({ attemptId: s.record.id, deviceId: `poste-${agent.agentId}` }) });
          }
        }
        sent.push(...batch);
        const pushed = await api.push(`poste-${agent.agentId}`, items);
        expect(pushed.status, JSON.stringify(pushed.body).slice(0, 300)).toBe(200);
        expect(pushed.body.results.every((r: { outcome: string }) => r.outcome === 'applied')).toBe(true);
        // A lost answer: the same batch again is all duplicates, and must not count twice.
        if (random() < 0.3) {
          const again = await api.push(`poste-${agent.agentId}`, items);
          expect(again.body.results.every((r: { outcome: string }) => r.outcome === 'duplicate')).toBe(true);
        }
      }
    }
    expect(voided.size).toBeGreaterThan(10);

    const sdb = await openServerDatabase(database.url, { migrate: false, poolSize: 1 });
    try {
      const periods: [string, string][] = [
        ['2026-10-24', '2026-10-24'],
        ['2026-10-25', '2026-10-25'],
        ['2026-10-26', '2026-10-26'],
        ['2026-10-24', '2026-10-27'],
        ['2026-10-25', '2026-10-26'],
      ];
      const check = async () => {
        for (const timeZone of ['Europe/Paris', 'Asia/Kolkata']) {
          for (const [from, to] of periods) {
            const d = await loadDashboard(sdb.db, { from, to }, timeZone, new Date('2026-10-27T12:00:00.000Z'));
            const expected = oracle(sent, voided, from, to, timeZone);
            expect(expected.attempts, `${timeZone} ${from}…${to} has attempts`).toBeGreaterThan(0);
            const got = { attempts: d.attempts, successes: d.successes, perAgent: d.perAgent, perChannel: d.perChannel, perHour: d.perHour };
            if (timeZone === 'Asia/Kolkata') {
              // Hours of a +05:30 zone straddle two UTC hours: the chart keeps UTC-hour buckets (see
              // dashboard.ts), so only its total is compared; every other figure is exact.
              expect(got.perHour.reduce((a, b) => a + b, 0), `${timeZone} ${from}…${to}`).toBe(expected.attempts);
              expect({ ...got, perHour: [] }, `${timeZone} ${from}…${to}`).toEqual({ ...expected, perHour: [] });
            } else expect(got, `${timeZone} ${from}…${to}`).toEqual(expected);
          }
        }
        // "Last N all failed" sums the counts per streak the push keeps: equal to a count over the
        // clients' kept streaks (which server-client-status.test.ts checks against the history).
        for (const streak of [1, 2, 3, 4]) {
          const d = await loadDashboard(sdb.db, { streak }, 'Europe/Paris', new Date('2026-10-27T12:00:00.000Z'));
          const direct = await sdb.db.selectFrom('clients').select((eb) => eb.fn.countAll<number>().as('n')).where('failure_streak', '>=', streak).executeTakeFirstOrThrow();
          expect(d.failedStreakCount, `streak ${streak}`).toBe(Number(direct.n));
        }
      };
      await check();
      const kept = async () => ({
        agents: await sdb.db.selectFrom('attempt_tally_agents').select(['hour', 'agent_id', 'agent_name', 'status', 'n']).where('n', '<>', 0).orderBy(['hour', 'agent_id', 'agent_name', 'status']).execute(),
        channels: await sdb.db.selectFrom('attempt_tally_channels').select(['hour', 'channel', 'status', 'n']).where('n', '<>', 0).orderBy(['hour', 'channel', 'status']).execute(),
      });
      const byPushes = await kept();
      await rebuildAttemptTallies(sdb.db);
      const rebuilt = await kept();
      const numeric = (t: typeof byPushes) => ({ agents: t.agents.map((r) => ({ ...r, n: Number(r.n) })), channels: t.channels.map((r) => ({ ...r, n: Number(r.n) })) });
      expect(numeric(rebuilt)).toEqual(numeric(byPushes));
      await check();
    } finally {
      await sdb.close();
    }
    // Some 150 HTTP pushes and 40 dashboards: a loaded shared machine needs more than the default 30 s.
  }, 180_000);
});
