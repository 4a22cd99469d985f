// The supervision console's security over real HTTP, on SQLite and PostgreSQL: sessions and their
// cookie, sign-in throttling, roles, CSRF and cross-site posts, the append-only console audit log,
// HTML escaping, enrolment codes exchanged at POST /v1/enrol, and passwords kept out of logs.

import { execFile, spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app.ts';
import { createAgent, putClients, startServer, type RunningServer } from '../../server/index.ts';
import { sessionLimits } from '../../server/console/sessions.ts';
import { throttleRules } from '../../server/console/throttle.ts';
import { openServerDatabase } from '../../server/storage/database.ts';
import { ConsoleClient, addConsoleUser, consolePassword, visibleText } from '../helpers/console.ts';
import { ProtocolClient, attemptRecord, createTestDatabase, postgresUnavailableReason, testClient, type Backend, type TestDatabase } from '../helpers/server.ts';

const root = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

const pgReason = await postgresUnavailableReason();
if (pgReason) console.warn(`[skip] console security on PostgreSQL skipped: ${pgReason}`);

/** Every page and action of the console, with how an unauthenticated caller must be answered. */
const getRoutes = ['/console/journal', '/console/journal.csv', '/console/journal.xlsx', '/console/clients', '/console/clients/C1', '/console/dashboard', '/console/devices', '/console/devices/x', '/console/agents', '/console/agents/x'];
const postRoutes = [
  '/console/agents',
  '/console/agents/x/disable',
  '/console/agents/x/enable',
  '/console/agents/x/secret',
  '/console/agents/x/enrolment-code',
  '/console/devices/enrolment-code',
  '/console/tokens/x/revoke',
  '/console/users',
  '/console/users/x/disable',
  '/console/sign-out',
];

/** Each server gets its own day, so that one test's sign-in blocks never reach the next. */
let nextDay = Date.parse('2026-12-01T09:00:00.000Z');

class MovableClock {
  at = (nextDay += 86_400_000);
  now(): Date {
    return new Date(this.at);
  }
  advance(ms: number): void {
    this.at += ms;
  }
}

describe.each([
  { backend: 'sqlite' as Backend, skip: false },
  { backend: 'postgres' as Backend, skip: pgReason !== null },
])('console security on $backend', ({ backend, skip }) => {
  let database: TestDatabase;
  let server: RunningServer;
  let clock: MovableClock;
  const logLines: string[] = [];

  beforeAll(async () => {
    if (skip) return;
    database = await createTestDatabase(backend);
    await addConsoleUser(database.url, 'admin', 'admin');
    await addConsoleUser(database.url, 'sup', 'supervisor');
    await addConsoleUser(database.url, 'audit', 'auditor');
    await putClients(database.url, [testClient('C1', 'Hélène Dupont'), testClient('C2', 'Marc Petit')]);
  });
  afterAll(async () => {
    await database?.drop();
  });
  afterEach(async () => {
    await server?.close();
  });

  async function start(): Promise<string> {
    clock = new MovableClock();
    const stream = new Writable({
      write(chunk: Buffer, _e, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    server = await startServer({ db: database.url, clock, logger: { stream }, rateLimit: { max: 10_000, timeWindowMs: 60_000 } });
    return server.url;
  }

  it.skipIf(skip)('every console route refuses an unauthenticated request', async () => {
    const anonymous = new ConsoleClient(await start());
    for (const path of getRoutes) {
      const answer = await anonymous.get(path);
      expect(answer.status, path).toBe(303);
      expect(answer.headers.get('location'), path).toMatch(/^\/console\/sign-in\?next=/);
    }
    for (const path of postRoutes) {
      const answer = await anonymous.post(path, { _csrf: 'x', name: 'Intrus' });
      expect(answer.status, path).toBe(401);
    }
    const sdb = await openServerDatabase(database.url, { migrate: false, poolSize: 1 });
    try {
      expect(await sdb.db.selectFrom('agents').select('id').where('name', '=', 'Intrus').execute()).toEqual([]);
    } finally {
      await sdb.close();
    }
  });

  it.skipIf(skip)('the session cookie is HttpOnly, SameSite=Strict, scoped to /console, not Secure over plain HTTP; sign-out and expiry end it', async () => {
    const admin = new ConsoleClient(await start());
    const signedIn = await admin.signIn('admin');
    expect(signedIn.status).toBe(303);
    const cookie = admin.setCookies.find((c) => c.startsWith('desk_console='))!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\/console/);
    expect(cookie).not.toMatch(/; Secure/);
    expect((await admin.get('/console/journal')).status).toBe(200);

    const kept = new Map(admin.cookies);
    expect((await admin.submit('/console/sign-out')).status).toBe(303);
    const replay = new ConsoleClient(server.url);
    for (const [k, v] of kept) replay.cookies.set(k, v);
    expect((await replay.get('/console/journal')).status, 'a signed-out session cookie opens nothing').toBe(303);

    const idle = new ConsoleClient(server.url);
    await idle.signIn('admin');
    clock.advance(sessionLimits.idleMs + 1000);
    expect((await idle.get('/console/journal')).status, 'idle too long').toBe(303);

    const busy = new ConsoleClient(server.url);
    await busy.signIn('admin');
    for (let spent = 0; spent <= sessionLimits.absoluteMs; spent += sessionLimits.idleMs / 2) {
      clock.advance(sessionLimits.idleMs / 2);
      if (spent + sessionLimits.idleMs / 2 < sessionLimits.absoluteMs) expect((await busy.get('/console/journal')).status).toBe(200);
    }
    expect((await busy.get('/console/journal')).status, 'past the absolute lifetime').toBe(303);
  });

  it.skipIf(skip)('behind a TLS reverse proxy (secureCookies) the session cookie is Secure', async () => {
    const sdb = await openServerDatabase(database.url, { poolSize: 2 });
    const app = await buildApp(sdb, { console: { secureCookies: true }, clock: new MovableClock() });
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address() as { port: number };
      const admin = new ConsoleClient(`http://127.0.0.1:${address.port}`);
      expect((await admin.signIn('admin')).status).toBe(303);
      expect(admin.setCookies.find((c) => c.startsWith('desk_console='))).toMatch(/; Secure(;|$)/);
    } finally {
      await app.close();
      await sdb.close();
    }
  });

  it.skipIf(skip)('sign-in is throttled per login after failures, and per address', async () => {
    const url = await start();
    const guesser = new ConsoleClient(url);
    for (let i = 0; i < throttleRules.perLogin; i += 1) {
      const wrong = await guesser.signIn('sup', `mauvais-${i}`);
      expect(wrong.status).toBe(401);
      expect(visibleText(wrong.text)).toContain('Identifiant ou mot de passe incorrect.');
    }
    const blocked = await guesser.signIn('sup');
    expect(blocked.status, 'even the right password waits').toBe(429);
    expect(visibleText(blocked.text)).toContain('Trop d’essais infructueux');
    expect((await new ConsoleClient(url).signIn('admin')).status, 'another login is not blocked').toBe(303);
    clock.advance(throttleRules.blockMs + 1000);
    expect((await guesser.signIn('sup')).status, 'the block ends').toBe(303);

    for (let i = 0; i < throttleRules.perAddress; i += 1) await guesser.signIn(`inconnu-${i}`, 'x');
    expect((await guesser.signIn('admin')).status, 'too many failures from one address').toBe(429);
    clock.advance(throttleRules.blockMs + 1000);
    expect((await guesser.signIn('admin')).status).toBe(303);
  });

  it.skipIf(skip)('an auditor reads and exports but has no Agents entry, and every change is refused', async () => {
    const auditor = new ConsoleClient(await start());
    await auditor.signIn('audit');
    const journal = await auditor.get('/console/journal');
    expect(journal.status).toBe(200);
    expect(journal.text).not.toContain('href="/console/agents"');
    for (const path of ['/console/clients', '/console/dashboard', '/console/devices', '/console/journal.csv', '/console/journal.xlsx']) {
      expect((await auditor.get(path)).status, path).toBe(200);
    }
    const agents = await auditor.get('/console/agents');
    expect(agents.status).toBe(403);
    expect(visibleText(agents.text)).toContain('Accès refusé');
    for (const path of postRoutes.filter((p) => p !== '/console/sign-out')) {
      expect((await auditor.submit(path, { name: 'Par un auditeur', login: 'x', password: 'xxxxxxxxxxxx', role: 'admin' })).status, path).toBe(403);
    }
    const supervisor = new ConsoleClient(server.url);
    await supervisor.signIn('sup');
    expect((await supervisor.get('/console/agents')).status).toBe(200);
    expect((await supervisor.submit('/console/users', { login: 'pirate', password: 'xxxxxxxxxxxx', role: 'admin' })).status, 'users are admin-only').toBe(403);
  });

  it.skipIf(skip)('a change without the CSRF token, or posted from another site, is refused and writes nothing', async () => {
    const admin = new ConsoleClient(await start());
    await admin.signIn('admin');
    expect((await admin.post('/console/agents', { name: 'Sans jeton' })).status).toBe(403);
    expect((await admin.post('/console/agents', { name: 'Mauvais jeton', _csrf: 'x'.repeat(32) })).status).toBe(403);
    const csrf = await admin.csrf();
    const crossSite = await admin.post('/console/agents', { name: 'Autre site', _csrf: csrf }, { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    expect(visibleText(crossSite.text)).toContain('venu d’un autre site');
    expect((await admin.post('/console/agents', { name: 'Autre origine', _csrf: csrf }, { origin: 'http://evil.example' })).status).toBe(403);
    const loginCsrf = await new ConsoleClient(server.url).post('/console/sign-in', { login: 'admin', password: consolePassword }, { origin: 'http://evil.example' });
    expect(loginCsrf.status, 'no sign-in from another site either').toBe(403);
    const sdb = await openServerDatabase(database.url, { migrate: false, poolSize: 1 });
    try {
      const names = (await sdb.db.selectFrom('agents').select('name').execute()).map((a) => a.name);
      expect(names.filter((n) => ['Sans jeton', 'Mauvais jeton', 'Autre site', 'Autre origine'].includes(n))).toEqual([]);
    } finally {
      await sdb.close();
    }
    expect((await admin.post('/console/agents', { name: 'Même site', _csrf: csrf }, { origin: server.url, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    // Behind a TLS proxy the page is https while the request reaches us as http: same host, accepted.
    const behindProxy = server.url.replace('http://', 'https://');
    expect((await admin.post('/console/agents', { name: 'Derrière le proxy', _csrf: csrf }, { origin: behindProxy, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect((await admin.post('/console/agents', { name: 'Derrière le proxy 2', _csrf: csrf }, { origin: behindProxy })).status).toBe(200);
    expect((await admin.post('/console/agents', { name: 'Même hôte, autre site', _csrf: csrf }, { origin: behindProxy, 'sec-fetch-site': 'same-site' })).status).toBe(403);
  });

  it.skipIf(skip)('an admin enrols a desk with a single-use expiring code; each change is in the append-only audit log', async () => {
    const admin = new ConsoleClient(await start());
    await admin.signIn('admin');
    const created = await admin.submit('/console/agents', { name: 'Awa Diallo' });
    expect(created.status).toBe(200);
    const sdb = await openServerDatabase(database.url, { migrate: false, poolSize: 1 });
    try {
      const agent = await sdb.db.selectFrom('agents').select('id').where('name', '=', 'Awa Diallo').executeTakeFirstOrThrow();
      const issued = await admin.submit(`/console/agents/${agent.id}/enrolment-code`);
      const code = /class="code">([A-Z0-9-]+)</.exec(issued.text)?.[1];
      expect(code, 'the code is shown once').toMatch(/^[A-Z2-9]{5}-[A-Z2-9]{5}$/);
      expect(JSON.stringify(await sdb.db.selectFrom('enrolment_codes').selectAll().execute())).not.toContain(code!);

      const desk = new ProtocolClient(server.url, null);
      const spelled = code!.toLowerCase().replace('-', ' ');
      const exchanged = await desk.request('POST', '/v1/enrol', { body: JSON.stringify({ code: spelled, deviceId: 'device-awa' }) });
      expect(exchanged.status, JSON.stringify(exchanged.body)).toBe(200);
      expect(exchanged.body.agentName).toBe('Awa Diallo');
      const me = await new ProtocolClient(server.url, exchanged.body.token).me();
      expect(me.status).toBe(200);
      expect(me.body.agentId).toBe(agent.id);

      const again = await desk.request('POST', '/v1/enrol', { body: JSON.stringify({ code }) });
      expect(again.status, 'single use').toBe(401);
      expect(again.body.error.code).toBe('enrol.invalid');
      expect(again.body.error.message.fr).toContain('Code d’enrôlement');

      const second = /class="code">([A-Z0-9-]+)</.exec((await admin.submit(`/console/agents/${agent.id}/enrolment-code`)).text)![1]!;
      clock.advance(61 * 60_000);
      const expired = await desk.request('POST', '/v1/enrol', { body: JSON.stringify({ code: second }) });
      expect(expired.status, 'expired').toBe(401);
      expect((await desk.request('POST', '/v1/enrol', { body: JSON.stringify({ code: second, extra: 1 }) })).status, 'strict body').toBe(422);
      expect((await desk.request('POST', '/v1/enrol', { body: JSON.stringify({ code: second }), headers: { 'x-desk-protocol': '9' } })).status).toBe(400);

      await admin.signIn('admin');
      const third = /class="code">([A-Z0-9-]+)</.exec((await admin.submit(`/console/agents/${agent.id}/enrolment-code`)).text)![1]!;
      const token = await sdb.db.selectFrom('tokens').select('id').where('agent_id', '=', agent.id).executeTakeFirstOrThrow();
      expect((await admin.submit(`/console/tokens/${token.id}/revoke`)).status).toBe(200);
      expect((await new ProtocolClient(server.url, exchanged.body.token).me()).body.error.code).toBe('auth.revoked');
      expect((await admin.submit(`/console/agents/${agent.id}/disable`)).status).toBe(200);
      expect((await desk.request('POST', '/v1/enrol', { body: JSON.stringify({ code: third }) })).status, 'a disabled agent’s code is void').toBe(401);

      const audit = await sdb.db.selectFrom('console_audit').select(['action', 'user_login', 'details']).where('target', 'in', [agent.id, token.id]).orderBy('id').execute();
      expect(audit.map((a) => a.action)).toEqual(['agent.create', 'enrolment.issue', 'enrolment.use', 'enrolment.issue', 'enrolment.issue', 'token.revoke', 'agent.disable']);
      expect(audit.filter((a) => a.action !== 'enrolment.use').every((a) => a.user_login === 'admin')).toBe(true);
      expect(JSON.stringify(audit)).not.toContain(exchanged.body.token);
      await expect(sdb.db.updateTable('console_audit').set({ user_login: 'quelqu’un' }).execute()).rejects.toThrow(/append-only/);
      await expect(sdb.db.deleteFrom('console_audit').execute()).rejects.toThrow(/append-only/);
      const page = await admin.get('/console/agents');
      expect(visibleText(page.text)).toContain('Journal de la console');
      expect(visibleText(page.text)).toContain('agent.disable');
    } finally {
      await sdb.close();
    }
  });

  it.skipIf(skip)('a note with markup is shown as text on the journal and the client file', async () => {
    const url = await start();
    const agent = await createAgent(database.url, 'Awa Diallo');
    const note = '<img src=x onerror=alert(1)>';
    const pushed = await new ProtocolClient(url, agent.token).push('device-x', [{ kind: 'attempt', record: attemptRecord({ clientCode: 'C1', note }) }]);
    expect(pushed.status).toBe(200);
    const admin = new ConsoleClient(url);
    await admin.signIn('admin');
    for (const path of ['/console/journal', '/console/clients/C1']) {
      const answer = await admin.get(path);
      expect(answer.text, path).not.toContain('<img');
      expect(answer.text, path).toContain('&lt;img src=x onerror=alert(1)&gt;');
      // Scripts from the console's own files only: nothing inline, no eval, so the note cannot run.
      const csp = answer.headers.get('content-security-policy')!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(answer.text, path).not.toMatch(/<script(?![^>]*\ssrc="\/console\/assets\/)/);
    }
  });

  it.skipIf(skip)('admin create-user reads the password from standard input, never from an argument, and no password reaches a log', async () => {
    const cli = join(root, 'server/cli.ts');
    const password = 'un-secret-tres-long-42';
    const child = spawn(process.execPath, [cli, 'admin', 'create-user', '--db', database.url, '--login', 'Nadia', '--role', 'supervisor'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.stdin.end(`${password}\n`);
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    expect(code, out).toBe(0);
    expect(out).toContain('Utilisateur de la console créé : nadia (supervisor).');
    expect(out).not.toContain(password);

    const asArgument = await run(process.execPath, [cli, 'admin', 'create-user', '--db', database.url, '--login', 'x', '--role', 'admin', '--password', password], { cwd: root }).catch((e: { code: number; stderr: string }) => e);
    expect((asArgument as { code: number }).code).toBe(2);

    const url = await start();
    logLines.length = 0;
    const nadia = new ConsoleClient(url);
    expect((await nadia.signIn('NADIA', password)).status, 'logins ignore case').toBe(303);
    await new ConsoleClient(url).signIn('nadia', `${password}-faux`);
    await nadia.submit('/console/users', { login: 'y', password: 'another-secret-99', role: 'auditor' });
    await server.close();
    const logged = logLines.join('');
    expect(logged).toContain('console sign-in');
    expect(logged).not.toContain(password);
    expect(logged).not.toContain('another-secret-99');
    const sdb = await openServerDatabase(database.url, { migrate: false, poolSize: 1 });
    try {
      const stored = await sdb.db.selectFrom('console_users').select('password_hash').where('login', '=', 'nadia').executeTakeFirstOrThrow();
      expect(stored.password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
      expect(stored.password_hash).not.toContain(password);
    } finally {
      await sdb.close();
    }
  });
});
