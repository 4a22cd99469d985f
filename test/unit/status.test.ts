import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { upsertClient } from '../../db/clients.ts';
import { insertAttemptRecord, insertVoidRecord } from '../../db/attempts.ts';
import { writeTransaction } from '../../db/tx.ts';
import { uuidv7 } from '../../db/ids.ts';
import type { AttemptRecord } from '../../contract/index.ts';
import { openTestDesk, type TestDesk } from '../helpers/local-db.ts';

let t: TestDesk;
const client = { code: '0000100400', name: 'ROBERT Karim', phones: ['+33 6 06 09 68 12'], email: null, city: 'Abidjan', address: null, extra: {} };

beforeEach(async () => {
  t = await openTestDesk();
  await writeTransaction(t.local.db, (trx) => upsertClient(trx, client, '2026-11-26T08:00:00.000Z'));
});
afterEach(() => t.cleanup());

function remote(occurredAt: string, status: 'success' | 'failure', id = uuidv7()): AttemptRecord {
  return { id, clientCode: client.code, agentId: 'agent-b', agentName: 'Bintou', occurredAt, utcOffsetMin: 0, status, channel: 'phone', note: null, deviceId: 'dev-b' };
}

describe('synthetic status', () => {
  it('follows the latest attempt and counts them', async () => {
    await t.desk.recordAttempt({ clientCode: client.code, status: 'failure' });
    t.clock.advance(60_000);
    const { client: after } = await t.desk.recordAttempt({ clientCode: client.code, status: 'success' });
    expect(after.status).toBe('success');
    expect(after.attemptCount).toBe(2);
    expect(after.lastAgentName).toBe('Awa Diallo');
    expect(after.lastAttemptAt).toBe('2026-11-26T09:01:00.000Z');
  });

  it('is not overridden by an older attempt arriving late', async () => {
    await t.desk.recordAttempt({ clientCode: client.code, status: 'success' });
    await writeTransaction(t.local.db, (trx) => insertAttemptRecord(trx, remote('2026-11-25T09:00:00.000Z', 'failure')));
    const c = await t.desk.getClient({ code: client.code });
    expect(c.status).toBe('success');
    expect(c.attemptCount).toBe(2);
  });

  it('breaks ties on the same instant by id', async () => {
    const at = '2026-11-26T10:00:00.000Z';
    const low = remote(at, 'success', '01900000-0000-7000-8000-000000000001');
    const high = remote(at, 'failure', '01900000-0000-7000-8000-000000000002');
    await writeTransaction(t.local.db, async (trx) => {
      await insertAttemptRecord(trx, high);
      await insertAttemptRecord(trx, low);
    });
    expect((await t.desk.getClient({ code: client.code })).status).toBe('failure');
  });

  it('follows recording order for clicks in the same millisecond', async () => {
    // The clock stands still: every attempt has the same time, so only the ids can order them.
    let last: 'success' | 'failure' = 'success';
    for (let i = 0; i < 200; i++) {
      last = i % 3 === 0 ? 'failure' : 'success';
      const { client: after } = await t.desk.recordAttempt({ clientCode: client.code, status: last });
      expect(after.status).toBe(last);
    }
    expect((await t.desk.getClient({ code: client.code })).attemptCount).toBe(200);
  });

  it('falls back to the previous attempt when the latest is voided, and to never when all are', async () => {
    const first = await t.desk.recordAttempt({ clientCode: client.code, status: 'failure' });
    t.clock.advance(60_000);
    const second = await t.desk.recordAttempt({ clientCode: client.code, status: 'success' });
    t.clock.advance(60_000);
    const voided = await t.desk.voidAttempt({ attemptId: second.attempt.id, reason: 'Mauvais client' });
    expect(voided.client.status).toBe('failure');
    expect(voided.client.attemptCount).toBe(1);
    expect(voided.attempt.void?.reason).toBe('Mauvais client');
    const none = await t.desk.voidAttempt({ attemptId: first.attempt.id, reason: 'Erreur' });
    expect(none.client.status).toBe('never');
    expect(none.client.lastAttemptAt).toBeNull();
    expect(none.client.attemptCount).toBe(0);
  });

  it('ignores a void of an attempt already known as voided and an attempt already known', async () => {
    const rec = remote('2026-11-26T07:00:00.000Z', 'success');
    await writeTransaction(t.local.db, async (trx) => {
      expect(await insertAttemptRecord(trx, rec)).toBe(true);
      expect(await insertAttemptRecord(trx, rec)).toBe(false);
      const v = { attemptId: rec.id, agentId: 'agent-b', agentName: 'Bintou', voidedAt: '2026-11-26T07:05:00.000Z', utcOffsetMin: 0, reason: 'x', kind: 'void' as const, deviceId: 'dev-b' };
      expect(await insertVoidRecord(trx, v, client.code)).toBe(true);
      expect(await insertVoidRecord(trx, v, client.code)).toBe(false);
    });
    expect((await t.desk.getClient({ code: client.code })).status).toBe('never');
  });
});
