// Every operation refuses bad input the same way: through dispatch (the path main's IPC and the
// web bridge take), with a stable code, a message in French and in English, and nothing written.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatch, limits, type AttemptOutcome, type AttemptRecord, type ErrorCode } from '../../contract/index.ts';
import { insertAttemptRecord } from '../../db/attempts.ts';
import { upsertClient } from '../../db/clients.ts';
import { uuidv7 } from '../../db/ids.ts';
import { writeTransaction } from '../../db/tx.ts';
import { snapshotDatabase } from '../helpers/db-snapshot.ts';
import { openTestDesk, type TestDesk } from '../helpers/local-db.ts';

const client = { code: '0000100400', name: 'ROBERT Karim', phones: ['+33 6 06 09 68 12'], email: null, city: 'Abidjan', address: null, extra: {} };

let t: TestDesk;
let mine: AttemptOutcome;
let colleagues: AttemptRecord;

async function prepare(desk: TestDesk): Promise<void> {
  await writeTransaction(desk.local.db, (trx) => upsertClient(trx, client, '2026-11-26T08:00:00.000Z'));
}

beforeEach(async () => {
  t = await openTestDesk();
  await prepare(t);
  const recorded = await dispatch(t.desk, 'recordAttempt', { clientCode: client.code, status: 'failure', note: 'Messagerie' });
  if (!recorded.ok) throw new Error(recorded.error.message.en);
  mine = recorded.value as AttemptOutcome;
  colleagues = {
    id: uuidv7(),
    clientCode: client.code,
    agentId: 'agent-bintou',
    agentName: 'Bintou Sylla',
    occurredAt: '2026-11-26T08:30:00.000Z',
    utcOffsetMin: 60,
    status: 'success',
    channel: 'email',
    note: null,
    deviceId: 'device-b',
  };
  await writeTransaction(t.local.db, (trx) => insertAttemptRecord(trx, colleagues));
});
afterEach(() => t.cleanup());

/** Runs a refused call and checks the refusal and that no table changed. */
async function expectRefused(desk: TestDesk, operation: string, input: unknown, code: ErrorCode): Promise<Record<string, unknown>> {
  const before = snapshotDatabase(desk.local.sqlite);
  const result = await dispatch(desk.desk, operation, input, () => undefined);
  expect(result.ok, `${operation} should be refused with ${code}`).toBe(false);
  if (result.ok) return {};
  expect(result.error.code).toBe(code);
  expect(result.error.message.fr.trim().length).toBeGreaterThan(0);
  expect(result.error.message.en.trim().length).toBeGreaterThan(0);
  expect(result.error.message.fr).not.toBe(result.error.message.en);
  expect(snapshotDatabase(desk.local.sqlite)).toEqual(before);
  return result.error.params ?? {};
}

describe('bad input is refused with a code, both messages, and nothing written', () => {
  it('refuses an unknown operation', async () => {
    await expectRefused(t, 'dropTables', {}, 'operation.unknown');
    await expectRefused(t, '__proto__', {}, 'operation.unknown');
  });

  it.each([
    ['recordAttempt', { clientCode: 400, status: 'success' }],
    ['recordAttempt', { clientCode: client.code, status: 'maybe' }],
    ['recordAttempt', { clientCode: client.code }],
    ['recordAttempt', 'success'],
    ['searchClients', { query: 42 }],
    ['searchClients', { limit: '50' }],
    ['searchClients', { offset: -1 }],
    ['searchClients', { limit: 0.5 }],
    ['searchClients', { status: 'deleted' }],
    ['getClient', {}],
    ['getClient', { code: '   ' }],
    ['undoAttempt', { attemptId: 'not-a-uuid' }],
    ['voidAttempt', { attemptId: null, reason: 'Erreur' }],
    ['listHistory', { clientCode: client.code, limit: 1000 }],
    ['updateSettings', { agentName: '' }],
    ['updateSettings', { locale: 'de' }],
    ['updateSettings', { singleKeyShortcuts: 'yes' }],
    ['exportHistory', { from: '26/11/2026' }],
    ['exportHistory', { status: 'never' }],
    ['seedDemoClients', { count: 0 }],
    ['seedDemoClients', { count: limits.demoClients + 1 }],
    ['importClients', { content: 12 }],
    ['updateSyncSettings', { serverUrl: 'ftp://sync.exemple.fr' }],
    ['updateSyncSettings', { serverUrl: 'javascript:alert(1)' }],
  ])('refuses wrong types: %s %j', async (operation, input) => {
    await expectRefused(t, operation, input, 'input.invalid');
  });

  it.each([
    ['searchClients', { query: 'x'.repeat(limits.query + 1) }],
    ['getClient', { code: '9'.repeat(limits.clientCode + 1) }],
    ['recordAttempt', { clientCode: client.code, status: 'success', note: 'n'.repeat(limits.note + 1) }],
    ['recordAttempt', { clientCode: client.code, status: 'success', channel: 'c'.repeat(limits.channel + 1) }],
    ['updateSettings', { agentName: 'a'.repeat(limits.agentName + 1) }],
    ['listHistory', { clientCode: client.code, before: 'b'.repeat(201) }],
    ['importClients', { content: 'Code;Nom\n', fileName: 'f'.repeat(limits.fileName + 1) }],
    ['updateSyncSettings', { serverUrl: 'https://sync.exemple.fr', token: 't'.repeat(limits.token + 1) }],
  ])('refuses oversized strings: %s', async (operation, input) => {
    const params = await expectRefused(t, operation, input, 'input.invalid');
    expect(String(params.details)).toMatch(/too big|trop/i);
  });

  it('refuses an oversized void reason', async () => {
    await expectRefused(t, 'voidAttempt', { attemptId: mine.attempt.id, reason: 'r'.repeat(limits.reason + 1) }, 'input.invalid');
  });

  it.each([
    ['recordAttempt', { clientCode: client.code, status: 'success', agentId: 'someone-else' }],
    ['recordAttempt', { clientCode: client.code, status: 'success', occurredAt: '2020-01-01T00:00:00.000Z' }],
    ['getSettings', { debug: true }],
    ['searchClients', { query: 'robert', sql: '1=1' }],
    ['todayCounts', { agentId: 'x' }],
  ])('refuses extra fields: %s %j', async (operation, input) => {
    await expectRefused(t, operation, input, 'input.invalid');
  });

  it('refuses an unknown client', async () => {
    expect(await expectRefused(t, 'recordAttempt', { clientCode: 'INCONNU', status: 'success' }, 'client.notFound')).toEqual({ code: 'INCONNU' });
    await expectRefused(t, 'getClient', { code: 'INCONNU' }, 'client.notFound');
    await expectRefused(t, 'listHistory', { clientCode: 'INCONNU' }, 'client.notFound');
  });

  it('refuses an unknown attempt', async () => {
    const id = uuidv7();
    expect(await expectRefused(t, 'undoAttempt', { attemptId: id }, 'attempt.notFound')).toEqual({ id });
    await expectRefused(t, 'voidAttempt', { attemptId: id, reason: 'Erreur de saisie' }, 'attempt.notFound');
  });

  it('refuses an undo after the 10 second window, but accepts it just before', async () => {
    t.clock.advance(limits.undoSeconds * 1000 + 1);
    const params = await expectRefused(t, 'undoAttempt', { attemptId: mine.attempt.id }, 'attempt.undoExpired');
    expect(params).toEqual({ seconds: limits.undoSeconds });
    // Still voidable with a reason.
    const voided = await dispatch(t.desk, 'voidAttempt', { attemptId: mine.attempt.id, reason: 'Mauvais numéro' });
    expect(voided.ok).toBe(true);
  });

  it('refuses a void without a reason', async () => {
    await expectRefused(t, 'voidAttempt', { attemptId: mine.attempt.id, reason: '' }, 'void.reasonRequired');
    await expectRefused(t, 'voidAttempt', { attemptId: mine.attempt.id, reason: '   \n ' }, 'void.reasonRequired');
    await expectRefused(t, 'voidAttempt', { attemptId: mine.attempt.id }, 'input.invalid');
  });

  it("refuses voiding or undoing another agent's attempt", async () => {
    await expectRefused(t, 'voidAttempt', { attemptId: colleagues.id, reason: 'Pas le bon client' }, 'attempt.notAuthor');
    await expectRefused(t, 'undoAttempt', { attemptId: colleagues.id }, 'attempt.notAuthor');
  });

  it('refuses voiding twice', async () => {
    const first = await dispatch(t.desk, 'undoAttempt', { attemptId: mine.attempt.id });
    expect(first.ok).toBe(true);
    await expectRefused(t, 'voidAttempt', { attemptId: mine.attempt.id, reason: 'Encore' }, 'attempt.alreadyVoided');
    await expectRefused(t, 'undoAttempt', { attemptId: mine.attempt.id }, 'attempt.alreadyVoided');
  });

  it('refuses recording, undoing and voiding while no agent is set', async () => {
    const anonymous = await openTestDesk({ agentName: null });
    try {
      await prepare(anonymous);
      await expectRefused(anonymous, 'recordAttempt', { clientCode: client.code, status: 'success' }, 'agent.notSet');
      await expectRefused(anonymous, 'undoAttempt', { attemptId: uuidv7() }, 'agent.notSet');
      await expectRefused(anonymous, 'voidAttempt', { attemptId: uuidv7(), reason: 'x' }, 'agent.notSet');
      const counts = await dispatch(anonymous.desk, 'todayCounts', {});
      expect(counts).toEqual({ ok: true, value: { attempts: 0, successes: 0, failures: 0, byReason: [] } });
    } finally {
      await anonymous.cleanup();
    }
  });

  it('refuses a malformed history cursor', async () => {
    await expectRefused(t, 'listHistory', { clientCode: client.code, before: 'garbage' }, 'input.invalid');
  });

  it('refuses an import without a code column, and sync actions while sync is not configured', async () => {
    await expectRefused(t, 'importClients', { content: 'Nom;Ville\nA;B\n' }, 'import.missingColumn');
    await expectRefused(t, 'syncNow', {}, 'sync.notConfigured');
    await expectRefused(t, 'updateSyncSettings', { serverUrl: 'https://sync.exemple.fr' }, 'sync.notConfigured');
  });

  it('answers internal errors with the generic code and logs them', async () => {
    const logged: string[] = [];
    const broken = { ...t.desk, getClient: () => Promise.reject(new Error('disk on fire')) };
    const result = await dispatch(broken, 'getClient', { code: client.code }, (op) => logged.push(op));
    expect(result).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(logged).toEqual(['getClient']);
  });
});

describe('text every store keeps exactly: no U+0000, no lone surrogate, at every entry', () => {
  const nul = 'Rappeler\u0000 demain';
  const lone = 'Rappeler \uD83D demain';

  it('refuses such a note or void reason with its own message, naming the character, and writes nothing', async () => {
    const params = await expectRefused(t, 'recordAttempt', { clientCode: client.code, status: 'success', note: nul }, 'text.unstorable');
    expect(params).toMatchObject({ field: 'note', char: 'U+0000' });
    const lonely = await expectRefused(t, 'recordAttempt', { clientCode: client.code, status: 'success', note: lone }, 'text.unstorable');
    expect(lonely).toMatchObject({ char: 'U+D83D' });
    await expectRefused(t, 'voidAttempt', { attemptId: mine.attempt.id, reason: nul }, 'text.unstorable');
    await expectRefused(t, 'updateSettings', { agentName: 'Awa\u0000' }, 'text.unstorable');
  });

  it('keeps a well-formed pair (an emoji) and accents as they are', async () => {
    const result = await dispatch(t.desk, 'recordAttempt', { clientCode: client.code, status: 'success', note: 'Joint 👍 à 14 h' });
    expect(result.ok).toBe(true);
    if (result.ok) expect((result.value as AttemptOutcome).attempt.note).toBe('Joint 👍 à 14 h');
  });

  it('refuses the one CSV line holding such a cell, with its number, and imports the others', async () => {
    const content = 'Code client;Nom;Ville\n0000200001;MARTIN Léa;Lyon\n0000200002;DURAND\u0000 Paul;Paris\n0000200003;PETIT Zoé;Nantes\n';
    const result = await dispatch(t.desk, 'importClients', { fileName: 'clients.csv', content });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const report = result.value as { inserted: number; rejected: { line: number; code: string; message: { fr: string } }[] };
    expect(report.inserted).toBe(2);
    expect(report.rejected).toEqual([expect.objectContaining({ line: 3, code: 'import.line.unstorable' })]);
    expect(report.rejected[0]!.message.fr).toContain('U+0000');
  });
});
