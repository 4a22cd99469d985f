// Once a server enrols the device, the agent takes the server's id; what they recorded before, under
// their 'local:' id, stays theirs: they can still void it and it still counts in their day.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { upsertClient } from '../../db/clients.ts';
import { adoptServerAgent } from '../../db/sync-meta.ts';
import { writeTransaction } from '../../db/tx.ts';
import { openTestDesk, type TestDesk } from '../helpers/local-db.ts';

let t: TestDesk;
beforeEach(async () => {
  t = await openTestDesk({ agentName: 'Awa Diallo' });
  await writeTransaction(t.local.db, (trx) =>
    upsertClient(trx, { code: 'C1', name: 'ROBERT Karim', phones: [], email: null, city: null, address: null, extra: {} }, '2026-11-26T08:00:00.000Z'),
  );
});
afterEach(() => t.cleanup());

it('keeps the attempts recorded before enrolment as the agent’s own', async () => {
  const before = await t.desk.recordAttempt({ clientCode: 'C1', status: 'success' });
  expect(before.attempt.agentId).toMatch(/^local:/);

  await writeTransaction(t.local.db, (trx) => adoptServerAgent(trx, { id: 'srv-agent-1', name: 'Awa Diallo' }));
  const settings = await t.desk.getSettings({});
  expect(settings.agent).toEqual({ id: 'srv-agent-1', name: 'Awa Diallo' });
  expect(settings).not.toHaveProperty('formerAgentIds');

  t.clock.advance(60_000);
  const after = await t.desk.recordAttempt({ clientCode: 'C1', status: 'failure' });
  expect(after.attempt.agentId).toBe('srv-agent-1');
  expect(await t.desk.todayCounts({})).toEqual({ attempts: 2, successes: 1, failures: 1, byReason: [] });

  const voided = await t.desk.voidAttempt({ attemptId: before.attempt.id, reason: 'Mauvais numéro' });
  expect(voided.attempt.void?.agentId).toBe('srv-agent-1');
  expect(await t.desk.todayCounts({})).toEqual({ attempts: 1, successes: 0, failures: 1, byReason: [] });

  // Enrolled again (same server): the former id is not listed twice and still counts as theirs.
  await writeTransaction(t.local.db, (trx) => adoptServerAgent(trx, { id: 'srv-agent-1', name: 'Awa Diallo' }));
  const meta = t.local.sqlite.prepare(`SELECT value FROM meta WHERE key = 'agent_former_ids'`).get() as { value: string };
  expect(JSON.parse(meta.value)).toEqual([before.attempt.agentId]);
});
