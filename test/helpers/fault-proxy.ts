// An HTTP proxy on 127.0.0.1 in front of a sync server that misbehaves on request: it can drop a
// request before the server sees it, drop the answer after the server committed, send a request
// twice, delay it, or answer 429/503 itself. Faults apply to the next matching requests, then the
// proxy forwards faithfully again; the upstream can be changed (a restarted server).

import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  | { kind: 'dropRequest' }
  | { kind: 'dropResponse' }
  | { kind: 'duplicate' }
  | { kind: 'delay'; ms: number }
  | { kind: 'status'; status: 429 | 500 | 502 | 503; retryAfterSeconds?: number };

interface Armed {
  fault: Fault;
  /** Only requests whose path starts with this (e.g. '/v1/push'). */
  path: string;
  remaining: number;
}

interface Upstream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface ProxyLogEntry {
  method: string;
  path: string;
  fault: Fault['kind'] | null;
  /** What the client got: a status, or 'dropped'. */
  answered: number | 'dropped';
}

export class FaultProxy {
  readonly url: string;
  readonly log: ProxyLogEntry[] = [];
  private upstream: URL;
  private armed: Armed[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(server: Server, upstream: string) {
    this.server = server;
    this.upstream = new URL(upstream);
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(upstream: string): Promise<FaultProxy> {
    let proxy: FaultProxy | null = null;
    const server = createServer((req, res) => void proxy!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new FaultProxy(server, upstream);
    return proxy;
  }

  /** The next `times` requests under `path` get this fault. */
  inject(fault: Fault, options: { path?: string; times?: number } = {}): void {
    this.armed.push({ fault, path: options.path ?? '/', remaining: options.times ?? 1 });
  }

  /** Every fault still armed is disarmed: the network is healthy again. */
  heal(): void {
    this.armed = [];
  }

  setUpstream(upstream: string): void {
    this.upstream = new URL(upstream);
  }

  count(path: string, fault?: Fault['kind']): number {
    return this.log.filter((e) => e.path.startsWith(path) && (fault === undefined || e.fault === fault)).length;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private take(path: string): Fault | null {
    const index = this.armed.findIndex((a) => path.startsWith(a.path));
    if (index < 0) return null;
    const armed = this.armed[index]!;
    armed.remaining -= 1;
    if (armed.remaining <= 0) this.armed.splice(index, 1);
    return armed.fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    const body = await readBody(req);
    const fault = this.take(path);
    const entry: ProxyLogEntry = { method: req.method ?? 'GET', path, fault: fault?.kind ?? null, answered: 'dropped' };
    this.log.push(entry);
    const drop = () => {
      entry.answered = 'dropped';
      res.socket?.destroy();
    };
    try {
      switch (fault?.kind) {
        case 'dropRequest':
          return drop();
        case 'status': {
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
          const code = fault.status === 429 ? 'rate.limited' : fault.status === 500 ? 'server.error' : 'server.unavailable';
          res.writeHead(fault.status, headers).end(JSON.stringify({ error: { code, message: { fr: 'panne simulée', en: 'simulated fault' } } }));
          entry.answered = fault.status;
          return;
        }
        case 'delay':
          await new Promise((resolve) => setTimeout(resolve, fault.ms));
          break;
        case 'duplicate':
          await this.forward(req, body);
          break;
      }
      const answer = await this.forward(req, body);
      // The server has done its work and committed; the device never hears about it.
      if (fault?.kind === 'dropResponse') return drop();
      const headers = { ...answer.headers };
      delete headers['transfer-encoding'];
      delete headers.connection;
      res.writeHead(answer.status, headers).end(answer.body);
      entry.answered = answer.status;
    } catch {
      drop(); // upstream down: the device sees a broken connection, as it would
    }
  }

  private forward(req: IncomingMessage, body: Buffer): Promise<Upstream> {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: this.upstream.host };
      const outgoing = httpRequest(
        { host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url, headers },
        (upstream) => {
          readBody(upstream).then(
            (data) => resolve({ status: upstream.statusCode ?? 502, headers: upstream.headers, body: data }),
            reject,
          );
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
