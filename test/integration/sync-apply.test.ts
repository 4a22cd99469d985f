// Applying pulled pages to a device's database: the page-wise insertion gives the same clients as
// the one-by-one path of a click, records arriving before what they refer to wait and are not
// lost, and an older copy of a client never overwrites a newer one.

import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttemptRecord, VoidRecord } from '../../contract/index.ts';
import type { ClientRecord } from '../../contract/sync-protocol.ts';
import { insertAttemptRecord, insertAttemptRecords } from '../../db/attempts.ts';
import { upsertClient } from '../../db/clients.ts';
import { openDatabase, type LocalDatabase } from '../../db/connection.ts';
import { applyPulledPage } from '../../db/sync-apply.ts';
import { writeTransaction } from '../../db/tx.ts';
import { tempDir } from '../helpers/local-db.ts';
import { join } from 'node:path';
import { rmSync } from 'node:fs';

const opened: { local: LocalDatabase; dir: string }[] = [];
async function freshDb(): Promise<LocalDatabase> {
  const dir = tempDir('desk-apply-');
  const local = await openDatabase(join(dir, 'desk.db'));
  opened.push({ local, dir });
  return local;
}
afterEach(async () => {
  for (const { local, dir } of opened.splice(0)) {
    await local.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

const codes = ['A', 'B', 'C'];
const at = '2026-11-26T08:00:00.000Z';

function client(code: string, updatedAt = at, name = `Client ${code}`): ClientRecord {
  return { code, name, phones: [], email: null, city: null, address: null, extra: {}, updatedAt };
}

function attempt(id: number, clientCode: string, minute: number, status: 'success' | 'failure'): AttemptRecord {
  return {
    id: `01900000-0000-7000-8000-${String(id).padStart(12, '0')}`,
    clientCode,
    agentId: 'agent-1',
    agentName: 'Awa',
    occurredAt: new Date(Date.parse('2026-11-26T09:00:00.000Z') + minute * 60_000).toISOString(),
    utcOffsetMin: 60,
    status,
    channel: 'phone',
    note: null,
    deviceId: 'device-1',
  };
}

function voidOf(record: AttemptRecord): VoidRecord {
  return {
    attemptId: record.id,
    agentId: record.agentId,
    agentName: record.agentName,
    voidedAt: '2026-11-26T12:00:00.000Z',
    utcOffsetMin: 60,
    reason: 'Erreur',
    kind: 'void',
    deviceId: 'device-2',
  };
}

async function clientRows(local: LocalDatabase) {
  return local.db
    .selectFrom('clients')
    .select(['code', 'last_status', 'last_attempt_at', 'last_attempt_id', 'last_agent_id', 'last_agent_name', 'attempt_count'])
    .orderBy('code')
    .execute();
}

describe('applying pulled pages', () => {
  it('gives the same statuses and counts as inserting each attempt the way a click does', async () => {
    // Few ids and few minutes: duplicates, ties on the time and late arrivals are all common.
    const arbAttempt = fc.record({
      id: fc.integer({ min: 1, max: 40 }),
      client: fc.constantFrom(...codes),
      minute: fc.integer({ min: 0, max: 15 }),
      status: fc.constantFrom('success' as const, 'failure' as const),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(arbAttempt, { maxLength: 60 }), fc.array(fc.integer({ min: 1, max: 20 }), { maxLength: 10 }), async (drawn, cuts) => {
        // One id always means one record, as on the server.
        const byId = new Map<number, AttemptRecord>();
        for (const d of drawn) if (!byId.has(d.id)) byId.set(d.id, attempt(d.id, d.client, d.minute, d.status));
        const stream = drawn.map((d) => byId.get(d.id)!);
        const oneByOne = await freshDb();
        const paged = await freshDb();
        for (const local of [oneByOne, paged]) {
          await writeTransaction(local.db, async (trx) => {
            for (const code of codes) await upsertClient(trx, client(code), at);
          });
        }
        await writeTransaction(oneByOne.db, async (trx) => {
          for (const r of stream) await insertAttemptRecord(trx, r);
        });
        let start = 0;
        for (const size of [...cuts, stream.length]) {
          const page = stream.slice(start, start + size);
          start += size;
          await writeTransaction(paged.db, (trx) => insertAttemptRecords(trx, page));
        }
        expect(await clientRows(paged)).toEqual(await clientRows(oneByOne));
      }),
      { numRuns: 40 },
    );
  });

  it('keeps a void that arrives before its attempt, and an attempt that arrives before its client', async () => {
    const local = await freshDb();
    const early = attempt(1, 'LATE-CLIENT', 5, 'success');
    const other = attempt(2, 'LATE-CLIENT', 1, 'failure');
    let summary = await writeTransaction(local.db, (trx) => applyPulledPage(trx, { clients: [], attempts: [early, other], voids: [voidOf(early)] }, at));
    expect(summary).toMatchObject({ attempts: 0, voids: 0, parked: 3 });
    expect(await local.db.selectFrom('attempts').selectAll().execute()).toHaveLength(0);

    summary = await writeTransaction(local.db, (trx) => applyPulledPage(trx, { clients: [client('LATE-CLIENT')], attempts: [], voids: [] }, at));
    expect(summary).toMatchObject({ clients: 1, attempts: 2, voids: 1, unparked: 3 });
    expect(await local.db.selectFrom('sync_parked').selectAll().execute()).toHaveLength(0);
    const [row] = await clientRows(local);
    // The voided 09:05 success no longer counts: the 09:01 failure is the status.
    expect(row).toMatchObject({ last_status: 'failure', last_attempt_id: other.id, attempt_count: 1 });

    // Pulled again (a lost answer, a re-read page): nothing changes.
    summary = await writeTransaction(local.db, (trx) =>
      applyPulledPage(trx, { clients: [client('LATE-CLIENT')], attempts: [early, other], voids: [voidOf(early)] }, at),
    );
    expect(summary).toMatchObject({ attempts: 0, voids: 0, parked: 0 });
    expect(await clientRows(local)).toEqual([row]);
  });

  it('an older copy of a client does not overwrite a newer one, and never touches its status', async () => {
    const local = await freshDb();
    await writeTransaction(local.db, (trx) =>
      applyPulledPage(trx, { clients: [client('X', '2026-11-26T10:00:00.000Z', 'Nouveau nom')], attempts: [attempt(1, 'X', 0, 'success')], voids: [] }, at),
    );
    const summary = await writeTransaction(local.db, (trx) =>
      applyPulledPage(trx, { clients: [client('X', '2026-11-25T10:00:00.000Z', 'Ancien nom')], attempts: [], voids: [] }, at),
    );
    expect(summary.clients).toBe(0);
    const row = await local.db.selectFrom('clients').selectAll().where('code', '=', 'X').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ name: 'Nouveau nom', last_status: 'success', attempt_count: 1 });
  });
});
