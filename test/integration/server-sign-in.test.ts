// Issue 9, server side: desks enrolled with a device code, agents signing in on them, what a device
// token may do, disabled agents, agent events and agent states, against a real server on SQLite and
// on PostgreSQL over real HTTP.

import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceHeader, kindsHeader } from '../../contract/sync-protocol.ts';
import { uuidv7 } from '../../db/ids.ts';
import { createAgentFromConsole, disableAgent, enableAgent, issueDeviceEnrolmentCode, setAgentSecret } from '../../server/console/agents.ts';
import { openServerDatabase, type ServerDatabase } from '../../server/storage/database.ts';
import { ProtocolClient, attemptRecord, postgresUnavailableReason, startTestServer, testClient, type Backend, type TestServer } from '../helpers/server.ts';

const pgReason = await postgresUnavailableReason();
if (pgReason) console.warn(`[skip] PostgreSQL sign-in tests skipped: ${pgReason}`);

const backends: { backend: Backend; skip: boolean }[] = [
  { backend: 'sqlite', skip: false },
  { backend: 'postgres', skip: pgReason !== null },
];

const admin = { userId: 'test', login: 'test' };
const root = resolve(import.meta.dirname, '../..');

/** The real CLI, its standard input piped (not a terminal: one line is read as the secret). */
function cli(args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'server/cli.ts'), ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

function expectError(answer: { status: number; body: any }, status: number, code: string): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.body.error.code).toBe(code);
  expect(answer.body.error.message.fr).not.toBe(answer.body.error.message.en);
}

describe.each(backends)('agents sign in on enrolled desks ($backend)', ({ backend, skip }) => {
  let server: TestServer;
  let sdb: ServerDatabase;

  beforeAll(async () => {
    if (skip) return;
    server = await startTestServer(backend, { signIn: { secretKind: 'pin', offlineDays: 7 }, signInThrottle: { perLogin: 3, perDevice: 40, perAddress: 100 } });
    await server.clients([testClient('C1'), testClient('C2')]);
    sdb = await openServerDatabase(server.database.url, { poolSize: 2, migrate: false });
  });
  afterAll(async () => {
    await sdb?.close();
    await server?.stop();
  });

  /** A desk enrolled with a device code: its token, and a client speaking as it. */
  async function enrolDesk(deviceId = `poste-${uuidv7().slice(-8)}`) {
    const { code } = await issueDeviceEnrolmentCode(sdb, admin);
    const answer = await new ProtocolClient(server.url, null).request('POST', '/v1/enrol', { body: JSON.stringify({ code, deviceId }) });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return { deviceId, code, answer: answer.body, api: new ProtocolClient(server.url, answer.body.deviceToken, { [deviceHeader]: deviceId }) };
  }

  async function newAgent(name: string, secret = '246810') {
    const login = `${name.split(' ')[0]!.toLowerCase()}.${uuidv7().slice(-6)}`;
    const agent = await createAgentFromConsole(sdb, { name, login, secret }, admin, 'pin');
    return { ...agent, login: login, secret };
  }

  // POST /v1/enrol allows 10 tries a minute per address: tests that need no desk of their own share this one.
  let sharedDesk: Awaited<ReturnType<typeof enrolDesk>> | null = null;
  const shared = async () => (sharedDesk ??= await enrolDesk('poste-partage'));

  const signIn = (api: ProtocolClient, login: string, secret: string) => api.request('POST', '/v1/sign-in', { body: JSON.stringify({ login, secret }) });

  it.skipIf(skip)('enrols a desk with a device code: a device token bound to its deviceId, once', async () => {
    const desk = await enrolDesk('poste-accueil');
    expect(desk.answer).toMatchObject({ kind: 'device', deviceId: 'poste-accueil', signIn: { secretKind: 'pin', offlineDays: 7 } });
    expect(desk.answer.deviceToken).toMatch(/^ndk_/);
    expectError(await new ProtocolClient(server.url, null).request('POST', '/v1/enrol', { body: JSON.stringify({ code: desk.code, deviceId: 'poste-accueil' }) }), 401, 'enrol.invalid');

    const { code } = await issueDeviceEnrolmentCode(sdb, admin);
    expectError(await new ProtocolClient(server.url, null).request('POST', '/v1/enrol', { body: JSON.stringify({ code }) }), 422, 'body.invalid');

    const me = await desk.api.me();
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ kind: 'device', deviceId: 'poste-accueil', signIn: { secretKind: 'pin', offlineDays: 7 } });
    expect(me.body.features).toEqual(expect.arrayContaining(['agent.signIn', 'record.agentEvent', 'record.agentState']));
    const health = await new ProtocolClient(server.url, null).request('GET', '/health');
    expect(health.body.features).toEqual(expect.arrayContaining(['agent.signIn', 'record.agentEvent', 'record.agentState']));

    // The same token from another machine, or naming none, is refused.
    expectError(await new ProtocolClient(server.url, desk.answer.deviceToken).me(), 401, 'auth.deviceMismatch');
    expectError(await new ProtocolClient(server.url, desk.answer.deviceToken, { [deviceHeader]: 'poste-autre' }).me(), 401, 'auth.deviceMismatch');
  });

  it.skipIf(skip)('signs an agent in: a token for that agent on that desk, the previous one revoked, events written', async () => {
    const desk = await enrolDesk();
    const awa = await newAgent('Awa Diallo');
    const first = await signIn(desk.api, awa.login.toUpperCase(), awa.secret);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ agentId: awa.agentId, agentName: 'Awa Diallo', login: awa.login, secretKind: 'pin', offlineDays: 7 });
    const agentApi = new ProtocolClient(server.url, first.body.token, { [deviceHeader]: desk.deviceId });
    expect((await agentApi.me()).body).toMatchObject({ kind: 'agent', agentId: awa.agentId, deviceId: desk.deviceId });

    // Its attempts are the agent's, from the token.
    const attempt = attemptRecord({ clientCode: 'C1', agentId: awa.agentId, agentName: 'Awa Diallo', deviceId: desk.deviceId });
    const pushed = await agentApi.push(desk.deviceId, [{ kind: 'attempt', record: attempt }]);
    expect(pushed.body.results[0]).toMatchObject({ outcome: 'applied' });
    const row = await sdb.db.selectFrom('attempts').select(['agent_id', 'agent_name']).where('id', '=', attempt.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ agent_id: awa.agentId, agent_name: 'Awa Diallo' });

    const second = await signIn(desk.api, awa.login, awa.secret);
    expect(second.status).toBe(200);
    expectError(await agentApi.me(), 401, 'auth.revoked');
    // An agent token from sign-in is the desk's too: from another desk it is refused.
    expectError(await new ProtocolClient(server.url, second.body.token, { [deviceHeader]: 'poste-autre' }).me(), 401, 'auth.deviceMismatch');
    const elsewhere = await new ProtocolClient(server.url, second.body.token, { [deviceHeader]: desk.deviceId }).push('poste-autre', [
      { kind: 'attempt', record: attemptRecord({ clientCode: 'C1', agentId: awa.agentId, deviceId: 'poste-autre' }) },
    ]);
    expectError(elsewhere, 401, 'auth.deviceMismatch');

    const events = await sdb.db.selectFrom('agent_events').selectAll().where('device_id', '=', desk.deviceId).orderBy('at').orderBy('id').execute();
    expect(events.map((e) => [e.source, e.kind, e.agent_id, e.login])).toEqual([
      ['server', 'signIn', awa.agentId, awa.login],
      ['server', 'signIn', awa.agentId, awa.login],
    ]);
    // A device token cannot sign in on behalf of an agent token, and an agent token cannot sign in.
    expectError(await signIn(agentApi, awa.login, awa.secret), 401, 'auth.revoked');
    expectError(await signIn(new ProtocolClient(server.url, second.body.token, { [deviceHeader]: desk.deviceId }), awa.login, awa.secret), 403, 'auth.deviceRequired');
  });

  it.skipIf(skip)('answers a wrong secret and an unknown login alike, and writes both down', async () => {
    const desk = await enrolDesk();
    const moussa = await newAgent('Moussa Koné');
    const wrong = await signIn(desk.api, moussa.login, '999999');
    const unknown = await signIn(desk.api, 'personne.inconnue', '999999');
    expectError(wrong, 401, 'signIn.invalid');
    expect(unknown.status).toBe(wrong.status);
    expect(unknown.body).toEqual(wrong.body);
    const events = await sdb.db.selectFrom('agent_events').selectAll().where('device_id', '=', desk.deviceId).orderBy('id').execute();
    expect(events.map((e) => [e.kind, e.agent_id, e.login, e.detail])).toEqual([
      ['signInFailed', moussa.agentId, moussa.login, 'invalid'],
      ['signInFailed', null, 'personne.inconnue', 'invalid'],
    ]);
    expect(JSON.stringify(events)).not.toContain('999999');
    expectError(await desk.api.request('POST', '/v1/sign-in', { body: JSON.stringify({ login: moussa.login }) }), 422, 'body.invalid');
  });

  it.skipIf(skip)('throttles failed sign-ins per login with Retry-After, even a right secret then', async () => {
    const desk = await enrolDesk();
    const fatou = await newAgent('Fatou Sow');
    for (let i = 0; i < 3; i += 1) expectError(await signIn(desk.api, fatou.login, '000000'), 401, 'signIn.invalid');
    const refused = await signIn(desk.api, fatou.login, fatou.secret);
    expectError(refused, 429, 'rate.limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // From another desk too: the login is what is throttled.
    const other = await enrolDesk();
    expectError(await signIn(other.api, fatou.login, fatou.secret), 429, 'rate.limited');
    // Another login on the same desk still signs in.
    const binta = await newAgent('Binta Ba');
    expect((await signIn(desk.api, binta.login, binta.secret)).status).toBe(200);
    const throttled = await sdb.db.selectFrom('agent_events').select('detail').where('login', '=', fatou.login).where('detail', '=', 'throttled').execute();
    expect(throttled).toHaveLength(2);
  });

  it.skipIf(skip)('refuses a disabled agent online, refuses its old tokens, and tells desks through agentState', async () => {
    const desk = await shared();
    const ali = await newAgent('Ali Touré');
    const signedIn = await signIn(desk.api, ali.login, ali.secret);
    expect(signedIn.status).toBe(200);
    const before = await desk.api.request('GET', '/v1/changes?cursor=0&limit=5000', { headers: { [kindsHeader]: 'agentState' } });
    const cursor = before.body.nextCursor as string;

    await disableAgent(sdb, ali.agentId, admin);
    expectError(await new ProtocolClient(server.url, signedIn.body.token, { [deviceHeader]: desk.deviceId }).me(), 401, 'auth.revoked');
    expectError(await signIn(desk.api, ali.login, ali.secret), 403, 'agent.disabled');
    // Only to whoever knows the secret: a wrong one is just wrong.
    expectError(await signIn(desk.api, ali.login, '135790'), 401, 'signIn.invalid');

    // A token issued for the agent by hand meanwhile (auth.ts checks agents.disabled_at itself).
    await sdb.db.updateTable('tokens').set({ revoked_at: null }).where('id', '=', (await sdb.db.selectFrom('tokens').select('id').where('agent_id', '=', ali.agentId).executeTakeFirstOrThrow()).id).execute();
    expectError(await new ProtocolClient(server.url, signedIn.body.token, { [deviceHeader]: desk.deviceId }).me(), 401, 'auth.revoked');

    const after = await desk.api.request('GET', `/v1/changes?cursor=${cursor}&limit=5000`, { headers: { [kindsHeader]: 'agentState' } });
    expect(after.status).toBe(200);
    expect(after.body.changes).toContainEqual({ kind: 'agentState', record: { agentId: ali.agentId, login: ali.login, name: 'Ali Touré', disabled: true, at: expect.any(String) } });
    // A desk that does not name the kind (an earlier release) never gets one.
    const plain = await desk.api.request('GET', `/v1/changes?cursor=0&limit=5000`);
    expect(plain.body.changes.some((c: { kind: string }) => c.kind === 'agentState')).toBe(false);

    await enableAgent(sdb, ali.agentId, admin);
    expect((await signIn(desk.api, ali.login, ali.secret)).status).toBe(200);
    const last = await desk.api.request('GET', `/v1/changes?cursor=${after.body.nextCursor}&limit=5000`, { headers: { [kindsHeader]: 'agentState' } });
    expect(last.body.changes).toContainEqual({ kind: 'agentState', record: expect.objectContaining({ agentId: ali.agentId, disabled: false }) });
  });

  it.skipIf(skip)('takes only agent events from a device token: other records are rejected one by one', async () => {
    const desk = await shared();
    const awa = await newAgent('Awa Sy');
    const event = { id: uuidv7(), agentId: awa.agentId, login: awa.login, deviceId: desk.deviceId, kind: 'lock', offline: true, at: new Date().toISOString() };
    const attempt = attemptRecord({ clientCode: 'C2', agentId: awa.agentId, agentName: 'Awa Sy', deviceId: desk.deviceId });
    const pushed = await desk.api.push(desk.deviceId, [
      { kind: 'attempt', record: attempt },
      { kind: 'agentEvent', record: event },
      { kind: 'agentEvent', record: { ...event, id: uuidv7(), deviceId: 'poste-autre' } },
    ]);
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(200);
    expect(pushed.body.results.map((r: any) => [r.kind, r.outcome, r.error?.code])).toEqual([
      ['attempt', 'rejected', 'auth.deviceOnly'],
      ['agentEvent', 'applied', undefined],
      ['agentEvent', 'rejected', 'record.invalid'],
    ]);
    expect(await sdb.db.selectFrom('attempts').select('id').where('id', '=', attempt.id).executeTakeFirst()).toBeUndefined();
    const again = await desk.api.push(desk.deviceId, [
      { kind: 'agentEvent', record: event },
      { kind: 'agentEvent', record: { ...event, kind: 'unlock' } },
    ]);
    expect(again.body.results.map((r: any) => [r.outcome, r.error?.code])).toEqual([
      ['duplicate', undefined],
      ['rejected', 'attempt.conflict'],
    ]);
    const stored = await sdb.db.selectFrom('agent_events').selectAll().where('id', '=', event.id).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ source: 'desk', kind: 'lock', agent_id: awa.agentId, offline: 1, device_id: desk.deviceId });
    // Append-only: the database itself refuses a change.
    await expect(sdb.db.deleteFrom('agent_events').where('id', '=', event.id).execute()).rejects.toThrow(/append-only/);
  });

  it.skipIf(skip)('admin create-agent --login and set-agent-secret read the secret from standard input, never an argument', async () => {
    const login = `cli.${uuidv7().slice(-6)}`;
    const created = await cli(['admin', 'create-agent', '--db', server.database.url, '--login', login, '--name', 'Agent Ligne'], '5551234\n');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain(login);
    expect(created.stdout + created.stderr).not.toContain('5551234');
    const refused = await cli(['admin', 'set-agent-secret', '--db', server.database.url, '--login', login, '1234'], '');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/jamais en argument/);
    const tooShort = await cli(['admin', 'set-agent-secret', '--db', server.database.url, '--login', login], '12\n');
    expect(tooShort.code).toBe(1);
    expect(tooShort.stderr).toMatch(/6 à 12 chiffres/);
    const changed = await cli(['admin', 'set-agent-secret', '--db', server.database.url, '--login', login], '8889990\n');
    expect(changed.code, changed.stderr).toBe(0);
    const desk = await shared();
    expectError(await signIn(desk.api, login, '5551234'), 401, 'signIn.invalid');
    expect((await signIn(desk.api, login, '8889990')).status).toBe(200);
    // Four real CLI processes (tsx): slow on a busy machine.
  }, 180_000);

  it.skipIf(skip)('sets a secret for an agent made before logins, per the site rule', async () => {
    const legacy = await createAgentFromConsole(sdb, 'Ancien Agent', admin);
    await expect(setAgentSecret(sdb, { agentId: legacy.agentId }, '123456', 'pin', admin)).rejects.toThrow(/identifiant/);
    await expect(setAgentSecret(sdb, { agentId: legacy.agentId }, '12ab', 'pin', admin, 'ancien')).rejects.toThrow(/6 à 12 chiffres/);
    await expect(setAgentSecret(sdb, { agentId: legacy.agentId }, 'court', 'password', admin, 'ancien')).rejects.toThrow(/12 à 128/);
    const login = `ancien.${uuidv7().slice(-6)}`;
    expect(await setAgentSecret(sdb, { agentId: legacy.agentId }, '7654321', 'pin', admin, login)).toEqual({ name: 'Ancien Agent', login });
    const desk = await shared();
    expect((await signIn(desk.api, login, '7654321')).status).toBe(200);
  });
});
