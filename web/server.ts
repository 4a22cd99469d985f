// `npm run web`: the built renderer and the real domain operations, served to a browser on this
// machine. As in the app, the database and every operation run in the database worker
// (db/database-client.ts), where contract/dispatch.ts validates each call: this process only serves
// HTTP, so the browser tests exercise the app's split; only the transport differs.

import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { errorPayload, isOperationName, limits, type DeskErrorPayload, type OperationName } from '../contract/index.ts';
import { frameAncestors } from '../contract/csp.ts';
import { describeIssues } from '../contract/dispatch.ts';
import { schemas } from '../contract/operations.ts';
import { signInWithoutPin } from '../db/agent-profiles.ts';
import { openDatabase } from '../db/connection.ts';
import { DatabaseStartError, startDatabase, type DatabaseClient } from '../db/database-client.ts';
import type { DatabaseStartData } from '../db/database-messages.ts';
import type { EmitEvent } from '../db/desk.ts';
import { buildBridgeScript } from './bridge-bundle.ts';
import { acquireDataLock } from './data-lock.ts';
import { createEventStreamHub } from './event-stream.ts';
import { allowedHosts, checkOrigin, newSecret, secretHeader, secretMatches, secretQueryParam } from './guard.ts';
import { bridgeScriptPath, injectBridge, readStaticFile } from './static-files.ts';

export const defaultPort = 5174;
export const databaseFileName = 'notification-desk.db';
export const defaultRendererDir = resolve(import.meta.dirname, '..', 'out', 'renderer');
/** An import's content travels as a JSON string: leave room for the quoting around the 64 MiB. */
export const bodyLimitBytes = limits.importBytes + 1024 * 1024;

export interface WebServerOptions {
  dataDir: string;
  /** 0 picks a free port. */
  port?: number;
  rendererDir?: string;
  /** Demo clients to create when the database has no client yet. */
  demoClients?: number;
  /** Signs in the local profile of that name (made if new) without its PIN: demos and tests. */
  agentName?: string;
  /**
   * Runs the sync worker as the app does (default: off, the desk works on its own), so that the
   * browser tests can sync with a server; the token is kept plain (no keychain here).
   */
  sync?: DatabaseStartData['sync'];
  /**
   * A sync server (tests, demos): the bridge runs the sync worker as the app does, the token kept
   * plain in the database (no OS keychain here; the settings say so). With `enrolmentCode`, a desk
   * not yet enrolled with that server is enrolled at start (a device code: agents then sign in).
   */
  serverUrl?: string;
  enrolmentCode?: string;
}

export interface WebServer {
  url: string;
  port: number;
  secret: string;
  /** The database worker (its file: database.file). */
  database: DatabaseClient;
  /** Pushes an event to every open page, as main does over IPC (used by hosts and tests). */
  emit: EmitEvent;
  /** How many pages are listening to events right now. */
  eventStreams(): number;
  close(): Promise<void>;
}

/** A setup problem the agent can fix; the CLI prints its message and exits 1. */
export class WebSetupError extends Error {
  override name = 'WebSetupError';
}

// Sent with every answer, the event stream included: no framing, no sniffing, no referrer, no
// cross-origin reads of our files (the bridge script included).
const securityHeaders: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': frameAncestors,
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

function failure(code: Parameters<typeof errorPayload>[0], params: Record<string, string | number> = {}): { ok: false; error: DeskErrorPayload } {
  return { ok: false, error: errorPayload(code, params) };
}

function httpStatusOf(result: { ok: boolean; error?: DeskErrorPayload }): number {
  if (result.ok) return 200;
  switch (result.error?.code) {
    case 'operation.unknown':
      return 404;
    case 'input.invalid':
      return 400;
    case 'internal':
      return 500;
    default:
      // A business refusal (unknown client, expired undo…) is an answer, not a transport failure.
      return 200;
  }
}

/** Fastify's parser messages are English only; the agent-facing payload names the problem in both. */
function bodyProblem(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return '(corps) : JSON illisible / unreadable JSON';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return '(corps) : Content-Type attendu application/json / expected application/json';
    default:
      return `(requête) : ${error.message}`;
  }
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function queryParam(url: string, name: string): string | null {
  const q = url.indexOf('?');
  return q < 0 ? null : new URLSearchParams(url.slice(q + 1)).get(name);
}

/**
 * `--agent NAME`: that local profile is signed in without a PIN, on a second connection beside the
 * worker's (as the sync worker has), since no operation of the bridge may skip a PIN.
 */
async function signInDemoAgent(database: DatabaseClient, name: string): Promise<void> {
  const parsed = schemas.createAgentProfile.shape.name.safeParse(name);
  if (!parsed.success) {
    const { fr, en } = errorPayload('input.invalid', { details: `--agent: ${describeIssues(parsed.error)}` }).message;
    throw new WebSetupError(`${fr} (${en})`);
  }
  const storage = await database.call('getStorageState', {});
  if (!storage.ok || storage.value.problem) return; // the page shows the problem; nobody can sign in anyway
  const local = await openDatabase(database.file);
  try {
    await signInWithoutPin(local.db, parsed.data, new Date());
  } finally {
    await local.close();
  }
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const rendererDir = resolve(options.rendererDir ?? defaultRendererDir);
  const indexFile = join(rendererDir, 'index.html');
  if (!existsSync(indexFile)) {
    throw new WebSetupError(
      `Interface introuvable : ${indexFile} n’existe pas. Construisez-la d’abord avec « npx electron-vite build ». ` +
        `(Renderer not built: run "npx electron-vite build" first.)`,
    );
  }
  mkdirSync(options.dataDir, { recursive: true });
  const lock = acquireDataLock(options.dataDir);
  if ('heldBy' in lock) {
    const { fr, en } = errorPayload('storage.inUse', { details: `npm run web, pid ${lock.heldBy}` }).message;
    throw new WebSetupError(`${fr} (${en})`);
  }
  const hub = createEventStreamHub();
  let database: DatabaseClient;
  try {
    database = await startDatabase({ file: join(options.dataDir, databaseFileName), emit: (event, payload) => hub.emit(event, payload), sync: options.sync ?? (options.serverUrl !== undefined ? {} : false) });
  } catch (error) {
    lock.release();
    if (error instanceof DatabaseStartError) throw new WebSetupError(`${error.error.message.fr} (${error.error.message.en})`);
    throw error;
  }
  const app = Fastify({ logger: false, bodyLimit: bodyLimitBytes, forceCloseConnections: true, return503OnClosing: true });
  try {
    // Start-up changes take the same validated path as the page's calls.
    const prepare = async (operation: OperationName, input: unknown): Promise<void> => {
      const result = await database.call(operation, input);
      if (!result.ok) throw new WebSetupError(`${result.error.message.fr} (${result.error.message.en})`);
    };
    if (options.serverUrl !== undefined && options.enrolmentCode !== undefined) {
      const current = await database.call('getSyncSettings', {});
      if (!current.ok || current.value.serverUrl !== options.serverUrl || !current.value.hasToken) {
        await prepare('updateSyncSettings', { serverUrl: options.serverUrl, enrolmentCode: options.enrolmentCode });
      }
    }
    if (options.agentName !== undefined) await signInDemoAgent(database, options.agentName);
    if (options.demoClients !== undefined) {
      const settings = await database.call('getSettings', {});
      if (settings.ok && settings.value.clientCount === 0) await prepare('seedDemoClients', { count: options.demoClients });
    }

    const secret = newSecret();
    const bridgeScript = await buildBridgeScript();
    let hosts = new Set<string>();

    // Only JSON reaches the API: a form or text/plain post (what another site could send without
    // asking) is refused before anything is parsed.
    app.removeContentTypeParser('text/plain');

    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      const refusal = checkOrigin(
        {
          host: request.headers.host,
          origin: request.headers.origin,
          fetchSite: request.headers['sec-fetch-site'] as string | undefined,
        },
        hosts,
      );
      const path = pathOf(request.url);
      const needsSecret = path.startsWith('/desk/');
      const given = request.headers[secretHeader] ?? queryParam(request.url, secretQueryParam);
      if (refusal || (needsSecret && !secretMatches(secret, given))) {
        return reply.code(403).headers(securityHeaders).send(failure('sender.forbidden'));
      }
    });
    app.addHook('onSend', async (_request, reply, payload) => {
      reply.headers(securityHeaders);
      return payload;
    });

    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        const size = Number(request.headers['content-length'] ?? 0) || `> ${bodyLimitBytes}`;
        return reply.code(413).send(failure('import.tooLarge', { size, max: bodyLimitBytes }));
      }
      const status = error.statusCode ?? 500;
      if (status >= 400 && status < 500) {
        return reply.code(status).send(failure('input.invalid', { details: bodyProblem(error) }));
      }
      console.error('[web] request failed', error);
      return reply.code(500).send(failure('internal'));
    });

    // An imported file arrives as its bytes, streamed to disk (never whole in memory), only on /desk/import.
    app.addContentTypeParser('application/octet-stream', (request, payload, done) => {
      if (pathOf(request.url) !== '/desk/import') done(Object.assign(new Error('application/octet-stream'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' }), undefined);
      else done(null, payload);
    });

    app.post<{ Params: { operation: string } }>('/desk/api/:operation', async (request, reply) => {
      const operation = request.params.operation;
      // A path on this machine is for the server's own upload (below), never for the page to name.
      if (operation === 'importClientsFile') return reply.code(403).send(failure('sender.forbidden'));
      const result = isOperationName(operation)
        ? await database.call(operation, request.body)
        : failure('operation.unknown', { operation: operation.slice(0, 80) });
      return reply.code(httpStatusOf(result)).type('application/json; charset=utf-8').send(result);
    });

    // The page's import (web/bridge-client.ts importFile): the body is the file, kept in the data
    // folder while the database worker reads it, as Electron's worker reads the picked file itself.
    app.post('/desk/import', async (request, reply) => {
      const importId = (queryParam(request.url, 'importId') ?? '').slice(0, 64) || 'import';
      const uploads = join(options.dataDir, 'imports');
      mkdirSync(uploads, { recursive: true });
      const file = join(uploads, `${randomUUID()}.csv`);
      try {
        await pipeline(request.body as Readable, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
        const result = await database.call('importClientsFile', { path: file, importId });
        return reply.code(httpStatusOf(result)).type('application/json; charset=utf-8').send(result);
      } finally {
        await rm(file, { force: true });
      }
    });

    app.get('/desk/events', (request, reply) => {
      reply.hijack();
      hub.attach(reply.raw, securityHeaders);
      request.raw.on('close', () => reply.raw.end());
    });

    app.get(bridgeScriptPath, async (_request, reply) =>
      reply.type('text/javascript; charset=utf-8').header('Cache-Control', 'no-store').send(bridgeScript),
    );

    const sendIndex = async (_request: FastifyRequest, reply: FastifyReply) => {
      const html = injectBridge(await readFile(indexFile, 'utf8'), secret);
      // It carries this run's secret: never kept by a cache.
      return reply.type('text/html; charset=utf-8').header('Cache-Control', 'no-store').send(html);
    };
    app.get('/', sendIndex);
    app.get('/index.html', sendIndex);

    app.get('/*', async (request, reply) => {
      const path = pathOf(request.url);
      const file = await readStaticFile(rendererDir, path);
      // Browsers ask for an icon on their own; without one, say "nothing" rather than log a 404.
      if (!file && path === '/favicon.ico') return reply.code(204).send();
      if (!file) return reply.code(404).type('text/plain; charset=utf-8').send('Introuvable / Not found');
      return reply.type(file.contentType).header('Cache-Control', 'no-cache').send(file.body);
    });

    app.setNotFoundHandler((_request, reply) =>
      reply.code(404).type('text/plain; charset=utf-8').send('Introuvable / Not found'),
    );

    await app.listen({ host: '127.0.0.1', port: options.port ?? defaultPort });
    const port = (app.server.address() as AddressInfo).port;
    hosts = allowedHosts(port);

    let closed = false;
    return {
      url: `http://127.0.0.1:${port}/`,
      port,
      secret,
      database,
      emit: (event, payload) => hub.emit(event, payload),
      eventStreams: () => hub.size(),
      close: async () => {
        if (closed) return;
        closed = true;
        hub.closeAll();
        await app.close();
        await database.stop();
        lock.release();
      },
    };
  } catch (error) {
    hub.closeAll();
    await app.close().catch(() => undefined);
    await database.stop();
    lock.release();
    throw error;
  }
}
