// Rate limits as an attacker or a misconfigured desk would meet them: keyed on the token itself
// (not on how its header is spelled), failed authentications throttled per client address before
// any token lookup, and counters shared by every instance when they are kept in PostgreSQL.

import type { KyselyPlugin } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app.ts';
import { createAgent, startServer, type RunningServer } from '../../server/index.ts';
import { openServerDatabase } from '../../server/storage/database.ts';
import {
  ProtocolClient,
  createPostgresDatabase,
  createTestDatabase,
  postgresUnavailableReason,
  startTestServer,
  type Backend,
} from '../helpers/server.ts';

const pgReason = await postgresUnavailableReason();
if (pgReason) console.warn(`[skip] PostgreSQL rate-limit tests skipped: ${pgReason}`);

const backends: { backend: Backend; skip: boolean }[] = [
  { backend: 'sqlite', skip: false },
  { backend: 'postgres', skip: pgReason !== null },
];

function raw(url: string, authorization: string, headers: Record<string, string> = {}) {
  return new ProtocolClient(url, null, { authorization, ...headers });
}

/** Counts the queries that read the tokens table: what a guessed token costs the database. */
function tokenQueryCounter(): { plugin: KyselyPlugin; count: () => number } {
  let count = 0;
  return {
    plugin: {
      transformQuery(args) {
        if (args.node.kind === 'SelectQueryNode' && JSON.stringify(args.node).includes('"tokens"')) count += 1;
        return args.node;
      },
      transformResult: async (args) => args.result,
    },
    count: () => count,
  };
}

describe.each(backends)('rate limits on $backend', ({ backend, skip }) => {
  it.skipIf(skip)('counts every spelling of one token against the same limit', async () => {
    const server = await startTestServer(backend, { rateLimit: { max: 4, timeWindowMs: 60_000 } });
    try {
      const { token } = await server.agent();
      const spellings = [`bearer ${token}`, `BEARER ${token}`, `Bearer  ${token}`, `Bearer\t${token}`];
      for (const authorization of spellings) expect((await raw(server.url, authorization).me()).status, authorization).toBe(200);
      for (const authorization of [...spellings, `bEaReR ${token}  `]) {
        const limited = await raw(server.url, authorization).me();
        expect(limited.status, authorization).toBe(429);
        expect(limited.body.error.code).toBe('rate.limited');
      }
    } finally {
      await server.stop();
    }
  });

  it.skipIf(skip)('answers 429 to an address after N wrong tokens, without looking tokens up, and lets known tokens through', async () => {
    const database = await createTestDatabase(backend);
    const sdb = await openServerDatabase(database.url);
    const counter = tokenQueryCounter();
    const app = await buildApp({ ...sdb, db: sdb.db.withPlugin(counter.plugin) }, { rateLimit: { max: 600, timeWindowMs: 60_000, maxAuthFailures: 3 } });
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      const { token } = await createAgent(database.url, 'Awa Diallo');
      const desk = new ProtocolClient(url, token);
      expect((await desk.me()).status).toBe(200);

      for (let i = 0; i < 3; i++) expect((await new ProtocolClient(url, `ndk_guess-${i}`).me()).status).toBe(401);
      const lookups = counter.count();
      for (let i = 3; i < 10; i++) {
        const refused = await new ProtocolClient(url, `ndk_guess-${i}`).me();
        expect(refused.status).toBe(429);
        expect(refused.body.error.code).toBe('rate.limited');
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      expect(counter.count()).toBe(lookups);
      // The desk that authenticated before keeps working from the same (shared) address.
      expect((await desk.me()).status).toBe(200);
      // A request without a token is not a guess: it gets its 401 auth.missing.
      expect((await new ProtocolClient(url, null).me()).status).toBe(401);
    } finally {
      await app.close();
      await sdb.close();
      await database.drop();
    }
  });

  it.skipIf(skip)('counts failures per client address behind a trusted proxy (X-Forwarded-For)', async () => {
    const server = await startTestServer(backend, { trustProxy: true, rateLimit: { max: 600, timeWindowMs: 60_000, maxAuthFailures: 2 } });
    try {
      const from = (address: string, i: number) => raw(server.url, `Bearer ndk_wrong-${i}`, { 'x-forwarded-for': address }).me();
      expect((await from('203.0.113.7', 1)).status).toBe(401);
      expect((await from('203.0.113.7', 2)).status).toBe(401);
      expect((await from('203.0.113.7', 3)).status).toBe(429);
      expect((await from('203.0.113.8', 4)).status).toBe(401);
    } finally {
      await server.stop();
    }
  });
});

describe.skipIf(pgReason !== null)('rate limits shared by two instances on one PostgreSQL', () => {
  const servers: RunningServer[] = [];
  let drop: (() => Promise<void>) | null = null;
  afterAll(async () => {
    for (const s of servers) await s.close();
    await drop?.();
  });

  it('one token and one address have one limit across instances', async () => {
    const database = await createPostgresDatabase();
    drop = database.drop;
    const rateLimit = { max: 3, timeWindowMs: 60_000, maxAuthFailures: 3, store: 'postgres' as const };
    servers.push(await startServer({ db: database.url, rateLimit }), await startServer({ db: database.url, rateLimit }));
    const [a, b] = servers as [RunningServer, RunningServer];
    const { token } = await createAgent(database.url, 'Awa Diallo');
    expect((await new ProtocolClient(a.url, token).me()).status).toBe(200);
    expect((await new ProtocolClient(b.url, token).me()).status).toBe(200);
    expect((await new ProtocolClient(a.url, token).me()).status).toBe(200);
    const limited = await new ProtocolClient(b.url, token).me();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await new ProtocolClient(a.url, token).me()).status).toBe(429);

    expect((await new ProtocolClient(a.url, 'ndk_wrong-1').me()).status).toBe(401);
    expect((await new ProtocolClient(b.url, 'ndk_wrong-2').me()).status).toBe(401);
    expect((await new ProtocolClient(a.url, 'ndk_wrong-3').me()).status).toBe(401);
    expect((await new ProtocolClient(b.url, 'ndk_wrong-4').me()).status).toBe(429);
    expect((await new ProtocolClient(a.url, 'ndk_wrong-5').me()).status).toBe(429);
  });

  it('refuses the shared store on SQLite with a clear message', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      await expect(startServer({ db: database.url, rateLimit: { max: 3, timeWindowMs: 1000, store: 'postgres' } })).rejects.toThrow(/PostgreSQL/);
    } finally {
      await database.drop();
    }
  });
});
