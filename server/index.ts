// The central sync server, as a library: start it, and the admin functions tests and the CLI use.

import type { ReasonDefinition } from '../contract/reasons.ts';
import type { ConsoleOptions } from './console/plugin.ts';
import type { SignInRules } from '../contract/sync-protocol.ts';
import type { SignInThrottleOptions } from './sign-in.ts';
import type { FastifyInstance } from 'fastify';
import { buildApp, type RateLimitOptions } from './app.ts';
import { waitForDatabase, type Readiness } from './readiness.ts';
import { createServerDatabase } from './storage/database.ts';

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
  /** PostgreSQL connections of this instance. */
  poolSize?: number;
  /** Run this version's migrations at start (default true); false: serve only a database already migrated. */
  migrate?: boolean;
  /** Behind a reverse proxy: which X-Forwarded-* hops to believe (see AppOptions.trustProxy). Default false. */
  trustProxy?: boolean | number | string | string[];
  /** Largest request body in bytes. */
  bodyLimit?: number;
  /**
   * Event-loop lag past which requests get 503 (overload). Default 0 (never) here, where the embedding
   * code (a test, a benchmark) decides; the command line's default is 1000 ms.
   */
  maxEventLoopDelayMs?: number;
  pressureSampleIntervalMs?: number;
  /** The site's own reason list, sent to desks (feature 'site.reasons'). */
  reasons?: ReasonDefinition[];
  /** Minutes past due after which an agent's open call-back is the team's. */
  callbackHandoverMinutes?: number;
  /** The console's time zone and cookie flags (--console-time-zone, --console-secure-cookies). */
  console?: Omit<ConsoleOptions, 'sdb' | 'clock' | 'reasons'>;
  /** What agents sign in with, and how long offline (--agent-secret, --offline-sign-in-days). */
  signIn?: SignInRules;
  signInThrottle?: Partial<SignInThrottleOptions>;
  /** How long a shutdown waits for requests in flight before it cuts their connections. Default 5 s. */
  drainTimeoutMs?: number;
  /** First wait between two tries to reach the database at start (doubles up to maxRetryDelayMs). */
  firstRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  clock?: { now(): Date };
}

export interface RunningServer {
  url: string;
  port: number;
  app: FastifyInstance;
  /** Resolves once the database is reached and migrated; rejects on what waiting cannot fix. */
  ready: Promise<void>;
  /** Stops accepting, finishes the requests in flight, closes every connection and the pool. */
  close(): Promise<void>;
}

/**
 * Listens at once, then reaches its database in the background (retrying with backoff while it
 * is unreachable): /health says 503 until it is ready. Used by the CLI, which must answer its
 * load balancer and its signals while the database is still coming up.
 */
export async function listenServer(options: StartServerOptions): Promise<RunningServer> {
  const readiness: Readiness = { ready: false };
  let app: FastifyInstance | null = null;
  const sdb = createServerDatabase(options.db, {
    ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
    onConnectionError: (error) => app?.log.warn({ reason: error.message, db: sdb.location }, 'database connection lost'),
  });
  try {
    app = await buildApp(sdb, {
      readiness,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
      ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
      ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
      ...(options.maxEventLoopDelayMs === undefined ? {} : { maxEventLoopDelayMs: options.maxEventLoopDelayMs }),
      ...(options.pressureSampleIntervalMs === undefined ? {} : { pressureSampleIntervalMs: options.pressureSampleIntervalMs }),
      ...(options.reasons === undefined ? {} : { reasons: options.reasons }),
      ...(options.callbackHandoverMinutes === undefined ? {} : { callbackHandoverMinutes: options.callbackHandoverMinutes }),
      ...(options.console === undefined ? {} : { console: options.console }),
      ...(options.signIn === undefined ? {} : { signIn: options.signIn }),
      ...(options.signInThrottle === undefined ? {} : { signInThrottle: options.signInThrottle }),
    });
    const host = options.host ?? '127.0.0.1';
    await app.listen({ port: options.port ?? 0, host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
    const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
    const stopWaiting = new AbortController();
    const listening = app;
    const ready = waitForDatabase(sdb, readiness, {
      migrate: options.migrate ?? true,
      log: listening.log,
      signal: stopWaiting.signal,
      ...(options.firstRetryDelayMs === undefined ? {} : { firstDelayMs: options.firstRetryDelayMs }),
      ...(options.maxRetryDelayMs === undefined ? {} : { maxDelayMs: options.maxRetryDelayMs }),
    });
    // Whoever awaits `ready` hears of a failure; an unheard one must not become an unhandled rejection.
    ready.catch(() => undefined);
    let closing: Promise<void> | null = null;
    const close = async () => {
      stopWaiting.abort();
      // Requests still running after the drain time lose their connection; the devices re-send.
      const cut = setTimeout(() => listening.server.closeAllConnections(), options.drainTimeoutMs ?? 5_000);
      try {
        await listening.close();
      } finally {
        clearTimeout(cut);
        await sdb.close();
      }
    };
    return { url: `http://${shownHost}:${port}`, port, app: listening, ready, close: () => (closing ??= close()) };
  } catch (error) {
    await app?.close();
    await sdb.close();
    throw error;
  }
}

/** Listens and resolves once the database is ready: for tests and embedding. */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const server = await listenServer(options);
  try {
    await server.ready;
  } catch (error) {
    await server.close();
    throw error;
  }
  return server;
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
export { NewerDatabaseError, openServerDatabase, type ServerDatabase } from './storage/database.ts';
