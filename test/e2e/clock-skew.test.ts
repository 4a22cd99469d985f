// A desk whose clock is off the server's (issue 10): in Chromium on the built interface, through the
// web bridge with its sync worker running, against a fixture server whose `serverTime` (in /v1/me and
// in push answers) is 12 minutes behind. The window warns in the agent's language; the attempt keeps
// the desk's time; once the server's time agrees again, the warning goes.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { demoClient } from '../../db/demo.ts';
import { sessionPerTest, withServedDatabase } from '../helpers/browser.ts';
import { DeskPage } from './desk-page.ts';

interface Fixture {
  url: string;
  /** Server time = real time + skewMs. */
  skewMs: number;
  pushed: { kind: string; record: { occurredAt?: string } }[];
  close(): Promise<void>;
}

async function body(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += String(chunk);
  return text;
}

/** The three routes a sync run uses, answered as a v1 server does, with a skewed clock. */
async function startFixture(skewMs: number): Promise<Fixture> {
  const fixture: Fixture = { url: '', skewMs, pushed: [], close: async () => undefined };
  const serverTime = () => new Date(Date.now() + fixture.skewMs).toISOString();
  const server: Server = createServer((request, response) => {
    void (async () => {
      const send = (status: number, value: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(value));
      };
      if (request.headers.authorization !== 'Bearer fixture-token') return send(401, { code: 'auth.invalid', message: { fr: 'Jeton refusé', en: 'Token refused' } });
      const path = new URL(request.url ?? '/', 'http://fixture').pathname;
      if (request.method === 'GET' && path === '/v1/me') {
        return send(200, { agentId: 'agent-awa', agentName: 'Awa Diallo', serverTime: serverTime(), features: [] });
      }
      if (request.method === 'POST' && path === '/v1/push') {
        const items = (JSON.parse(await body(request)) as { items: Fixture['pushed'] }).items;
        fixture.pushed.push(...items);
        const results = items.map((item) => ({
          kind: item.kind,
          id: (item.record as { id?: string; attemptId?: string }).id ?? (item.record as { attemptId?: string }).attemptId ?? '',
          outcome: 'applied',
        }));
        return send(200, { results, serverTime: serverTime() });
      }
      if (request.method === 'GET' && path === '/v1/changes') {
        return send(200, { changes: [], nextCursor: '0', hasMore: false, serverTime: serverTime() });
      }
      send(404, { code: 'not.found', message: { fr: 'Introuvable', en: 'Not found' } });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fixture.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  fixture.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return fixture;
}

const sessions = sessionPerTest();
let fixture: Fixture | null = null;
afterEach(async () => {
  await fixture?.close();
  fixture = null;
});

describe('clock skew in Chromium (npm run web, sync on)', () => {
  it('warns when the desk is 12 min ahead of the server, in French then English; the attempt keeps the desk’s time; the warning goes once the clocks agree', async () => {
    fixture = await startFixture(-12 * 60_000);
    // A short interval: the last step waits for the next automatic run.
    const s = await sessions.open({ demoClients: 10, agentName: 'Awa Diallo', sync: { timing: { intervalMs: 1_000, debounceMs: 50 } } });
    const page = s.page;
    await page.goto(s.server.url);
    const desk = new DeskPage(page);
    await desk.search.waitFor();
    expect(await page.getByRole('alert').count(), 'no warning before any server answered').toBe(0);

    const configured = await page.evaluate(
      (serverUrl) => window.desk.api.updateSyncSettings({ serverUrl, token: 'fixture-token' }),
      fixture.url,
    );
    expect(configured.ok).toBe(true);
    const warning = page.getByRole('alert').filter({ hasText: 'L’horloge de ce poste diffère de celle du serveur de 12 min (le poste avance)' });
    await warning.waitFor();

    // A click keeps the desk's time, not the server's: stored and pushed as the desk saw it.
    const client = demoClient(2);
    await desk.openClient(client.code);
    const before = Date.now();
    await desk.recordSuccess.click();
    await desk.expectStatus('Notifié');
    const stored = await withServedDatabase(s.server, ({ db }) => db.selectFrom('attempts').select(['occurred_at']).where('client_code', '=', client.code).executeTakeFirstOrThrow());
    expect(Math.abs(Date.parse(stored.occurred_at) - before)).toBeLessThan(60_000);
    await expect.poll(() => fixture!.pushed.filter((i) => i.kind === 'attempt').map((i) => i.record.occurredAt)).toEqual([stored.occurred_at]);

    // In English after a reload (the language is a setting of the desk).
    const english = await page.evaluate(() => window.desk.api.updateSettings({ locale: 'en' }));
    expect(english.ok).toBe(true);
    await page.reload();
    await page.getByRole('alert').filter({ hasText: 'This workstation’s clock differs from the server’s by 12 min (the workstation is ahead)' }).waitFor();

    // The server's clock agrees again (within the 5 min allowed): the next sync run clears the warning.
    fixture.skewMs = 2 * 60_000;
    await expect.poll(() => page.getByRole('alert').count(), { timeout: 30_000 }).toBe(0);
  });
});
