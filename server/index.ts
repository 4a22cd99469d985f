// The central sync server, as a library: start it, and the admin functions tests and the CLI use.

import type { FastifyInstance } from 'fastify';
import { buildApp, type RateLimitOptions } from './app.ts';
import { openServerDatabase } from './storage/database.ts';

export interface StartServerOptions {
  /** An SQLite file path, or a postgres:// URL. */
  db: string;
  /** 0 (default): any free port. */
  port?: number;
  /** Default 127.0.0.1: listen on all interfaces only when asked ('0.0.0.0'). */
  host?: string;
  /** true: JSON lines on stdout; an object: pino options (e.g. { stream }). Default: off. */
  logger?: boolean | Record<string, unknown>;
  rateLimit?: RateLimitOptions;
  /** Behind a reverse proxy: see AppOptions.trustProxy. */
  trustProxy?: boolean | string | string[];
  /** PostgreSQL connections of this instance. */
  poolSize?: number;
  clock?: { now(): Date };
}

export interface RunningServer {
  url: string;
  port: number;
  app: FastifyInstance;
  close(): Promise<void>;
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const sdb = await openServerDatabase(options.db, options.poolSize === undefined ? {} : { poolSize: options.poolSize });
  try {
    const app = await buildApp(sdb, {
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
      ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
    const host = options.host ?? '127.0.0.1';
    await app.listen({ port: options.port ?? 0, host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
    const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
    let closed = false;
    return {
      url: `http://${shownHost}:${port}`,
      port,
      app,
      close: async () => {
        if (closed) return;
        closed = true;
        await app.close();
        await sdb.close();
      },
    };
  } catch (error) {
    await sdb.close();
    throw error;
  }
}

export {
  AdminError,
  createAgent,
  importClients,
  issueToken,
  listAgents,
  listDevices,
  putClients,
  revokeToken,
  type DeviceListing,
  type IssuedToken,
  type RevokedToken,
} from './admin.ts';
export { deviceHeader, defaultRateLimit, type RateLimitOptions } from './app.ts';
export { openServerDatabase, type ServerDatabase } from './storage/database.ts';
