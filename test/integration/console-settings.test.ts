// The console's server settings through the real command line (server/cli.ts in its own process):
// --console-time-zone decides the calendar days of the journal, the dashboard and the exports and
// the zone of the server's times; the session cookie is Secure over HTTPS as the server sees it
// (X-Forwarded-Proto believed only from a proxy --trust-proxy names), or always with
// --console-secure-cookies. SQLite: these settings do not depend on the database.

import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, putClients } from '../../server/index.ts';
import { ConsoleClient, addConsoleUser, visibleText } from '../helpers/console.ts';
import { ProtocolClient, attemptRecord, createTestDatabase, spawnServerProcess, testClient, type ServerProcess, type TestDatabase } from '../helpers/server.ts';

let database: TestDatabase;
const running: ServerProcess[] = [];

beforeAll(async () => {
  database = await createTestDatabase('sqlite');
  await addConsoleUser(database.url, 'sup', 'supervisor');
  await putClients(database.url, [testClient('0000100400', 'Hélène Dupont')]);
});
afterAll(async () => {
  for (const server of running) await server.stop();
  await database?.drop();
});

async function serve(args: string[], options: { env?: Record<string, string> } = {}): Promise<ServerProcess> {
  const server = await spawnServerProcess(database.url, args, options);
  running.push(server);
  return server;
}

function rowsOf(pageHtml: string): string[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(pageHtml)?.[1] ?? '';
  return body.split(/<tr[ >]/).slice(1);
}

describe('console settings from the command line', () => {
  it('--console-time-zone: calendar days and server times of the journal, the dashboard and the exports are that zone’s', async () => {
    const server = await serve(['--console-time-zone', 'America/Cayenne']);
    const awa = await createAgent(database.url, 'Awa Diallo');
    // 02:30 UTC on 20 November is 23:30 on the 19th in Cayenne (UTC−3), 03:30 on the 20th in Paris.
    const late = attemptRecord({ clientCode: '0000100400', occurredAt: '2026-11-20T02:30:00.000Z', status: 'failure', channel: 'phone', deviceId: 'poste-awa' });
    const noon = attemptRecord({ clientCode: '0000100400', occurredAt: '2026-11-20T15:00:00.000Z', status: 'success', channel: 'phone', deviceId: 'poste-awa' });
    const pushed = await new ProtocolClient(server.url, awa.token).push('poste-awa', [late, noon].map((record) => ({ kind: 'attempt', record })));
    expect(pushed.status).toBe(200);

    const sup = new ConsoleClient(server.url);
    expect((await sup.signIn('sup')).status).toBe(303);
    const nineteenth = await sup.get('/console/journal?from=2026-11-19&to=2026-11-19');
    expect(rowsOf(nineteenth.text)).toHaveLength(1);
    expect(rowsOf(nineteenth.text)[0]).toContain('Injoignable');
    expect(rowsOf((await sup.get('/console/journal?from=2026-11-20&to=2026-11-20')).text)).toHaveLength(1);
    // The server's receipt time in the console's zone, with its offset.
    expect(visibleText(rowsOf(nineteenth.text)[0]!)).toContain('(UTC−03:00)');

    const dashboard = await sup.get('/console/dashboard?from=2026-11-19&to=2026-11-19');
    expect(dashboard.status).toBe(200);
    expect(/<span class="value">(\d+)<\/span>Tentatives/.exec(dashboard.text)?.[1], 'one attempt on the 19th in Cayenne').toBe('1');

    const csv = await sup.get('/console/journal.csv?from=2026-11-19&to=2026-11-19');
    const lines = parse(csv.text, { delimiter: ';', bom: true }) as string[][];
    expect(lines).toHaveLength(2);
    // The attempt at the desk's wall clock (the test records carry UTC+01:00), the receipt in Cayenne.
    expect(lines[1]![0]).toBe('20/11/2026 03:30:00');
    const receivedUtc = Date.parse(new Date().toISOString());
    const [d, m, rest] = lines[1]![2]!.split('/');
    const shown = Date.parse(`${rest!.slice(0, 4)}-${m}-${d}T${rest!.slice(5)}Z`);
    // Shown as Cayenne's wall clock: three hours behind UTC (within the test's own minute).
    expect(Math.abs(receivedUtc - 3 * 3600_000 - shown)).toBeLessThan(120_000);
    await server.stop();
  }, 60_000);

  it('refuses to start on a zone it does not know, naming the flag', async () => {
    await expect(spawnServerProcess(database.url, ['--console-time-zone', 'Europe/Pariss'])).rejects.toThrow(/--console-time-zone = "Europe\/Pariss" : fuseau horaire IANA inconnu/);
  });

  it('the session cookie is Secure over HTTPS as the trusted proxy says, never on a header from anyone else, and always when forced', async () => {
    const secureAfterSignIn = async (url: string, headers: Record<string, string>) => {
      const client = new ConsoleClient(url);
      const answer = await client.post('/console/sign-in', { login: 'sup', password: 'mot-de-passe-solide' }, headers);
      expect(answer.status).toBe(303);
      const line = client.setCookies.find((c) => c.startsWith('desk_console='))!;
      expect(line).toMatch(/HttpOnly/);
      expect(line).toMatch(/SameSite=Strict/);
      return /; Secure(;|$)/.test(line);
    };
    const behindProxy = await serve(['--trust-proxy', '127.0.0.1']);
    expect(await secureAfterSignIn(behindProxy.url, { 'x-forwarded-proto': 'https' })).toBe(true);
    expect(await secureAfterSignIn(behindProxy.url, { 'x-forwarded-proto': 'http' })).toBe(false);
    expect(await secureAfterSignIn(behindProxy.url, {})).toBe(false);

    const untrusted = await serve([]);
    expect(await secureAfterSignIn(untrusted.url, { 'x-forwarded-proto': 'https' }), 'no trusted proxy: the header is anyone’s').toBe(false);

    const forced = await serve([], { env: { DESK_SERVER_CONSOLE_SECURE_COOKIES: 'true' } });
    expect(await secureAfterSignIn(forced.url, {})).toBe(true);
    const forcedByFlag = await serve(['--console-secure-cookies', 'true']);
    expect(await secureAfterSignIn(forcedByFlag.url, {})).toBe(true);
  }, 120_000);
});
