// A scripted sync server over real HTTP, for what the real server cannot produce yet: answers of
// a newer server (record kinds, values and fields this version does not know) or a server bug.
// Each test says what /v1/me, /v1/push and /v1/changes answer; the requests are kept for asserts.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FixtureRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface FixtureAnswer {
  status?: number;
  body: unknown;
}

export type FixtureHandler = (request: FixtureRequest) => FixtureAnswer | Promise<FixtureAnswer>;

export interface FixtureServer {
  url: string;
  requests: FixtureRequest[];
  close(): Promise<void>;
}

export async function startFixtureServer(handle: FixtureHandler): Promise<FixtureServer> {
  const requests: FixtureRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const request: FixtureRequest = {
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers: req.headers,
          body: text ? (JSON.parse(text) as unknown) : null,
        };
        requests.push(request);
        const answer = await handle(request);
        res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** What a push answer says of each item: applied, unless the test says otherwise. */
export function pushResults(body: unknown, outcome: (item: { kind: string; id: string }) => 'applied' | 'duplicate' = () => 'applied') {
  const items = (body as { items: { kind: string; record: { id?: string; attemptId?: string } }[] }).items;
  return items.map((item) => {
    const id = item.kind === 'void' ? item.record.attemptId! : item.record.id!;
    return { kind: item.kind, id, outcome: outcome({ kind: item.kind, id }) };
  });
}
