// The HTTP face of the server: /health and the /v1 protocol routes, with the checks every request
// goes through in this order: body size (Content-Length) -> rate limit (per token) -> failed
// authentications (per address) -> token -> protocol header -> body -> handler.
// Nothing is kept between requests but the rate-limit counters (in memory, or shared in PostgreSQL)
// and a throttle on "last seen" writes: instances can be added freely.

import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import {
  protocolFeatures,
  protocolHeader,
  protocolVersion,
  pullQuerySchema,
  pushLimits,
  type HealthResponse,
  type MeAnyResponse,
  type SignInRules,
  deviceHeader,
  kindsHeader,
} from '../contract/sync-protocol.ts';
import { authenticate, checkBoundDevice, type CallerIdentity } from './auth.ts';
import { defaultSignInRules, defaultSignInThrottle, registerSignIn, type SignInThrottleOptions } from './sign-in.ts';
import { ReadSightings } from './devices.ts';
import { consolePlugin, type ConsoleOptions } from './console/plugin.ts';
import { enrolRoutes } from './enrol.ts';
import { ProtocolFailure } from './failure.ts';
import { registerMetrics } from './metrics.ts';
import { answerOversizedBodies } from './oversized-body.ts';
import { registerOverloadGuard } from './overload.ts';
import { readChanges } from './pull.ts';
import { saveDeviceReport } from './device-reports.ts';
import { checkPush, describeIssues } from './push-items.ts';
import { applyPush } from './push.ts';
import { defaultRateLimit, registerRateLimits, type RateLimitOptions } from './rate-limit.ts';
import type { Readiness } from './readiness.ts';
import { declarableChangeKinds, type DeclarableChangeKind } from '../contract/enums.ts';
import { limits } from '../contract/limits.ts';
import type { ReasonDefinition } from '../contract/reasons.ts';
import { requestIdFor, requestIdHeader } from './request-id.ts';
import { databaseAnswers, type ServerDatabase } from './storage/database.ts';
import { cursorIsAhead, readServerEpoch } from './storage/identity.ts';
import { isRetryable } from './storage/tx.ts';
import { isDatabaseUnavailable } from './storage/unavailable.ts';

declare module 'fastify' {
  interface FastifyRequest {
    caller: CallerIdentity | null;
    deviceId: string | null;
  }
}

/** Names the device on requests without a body (pull, me): logs, last seen, and bound tokens (contract). */
export { deviceHeader };

/** x-desk-kinds: the pulled kinds a device reads beyond the baseline; names this server does not know are ignored. */
function declaredKinds(header: string | string[] | undefined): DeclarableChangeKind[] {
  const names = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((n) => n.trim());
  return declarableChangeKinds.filter((k) => names.includes(k));
}

export { defaultRateLimit, type RateLimitOptions } from './rate-limit.ts';

export interface AppOptions {
  logger?: boolean | Record<string, unknown>;
  rateLimit?: RateLimitOptions;
  clock?: { now(): Date };
  /** Set by whoever reaches the database (readiness.ts); absent: ready from the start. */
  readiness?: Readiness;
  /**
   * Behind a reverse proxy: which X-Forwarded-For/-Proto/-Host hops to believe (true, a hop count, or
   * the proxies' addresses/CIDRs), so limits per address apply to the client, not to the proxy.
   */
  trustProxy?: boolean | number | string | string[];
  /** Largest request body in bytes. Default pushLimits.maxBodyBytes. */
  bodyLimit?: number;
  /**
   * Overload: once the event loop lags more than this, requests get 503 with Retry-After. Default 0
   * (never) for an embedded server; the command line turns it on (1000 ms, config.ts).
   */
  maxEventLoopDelayMs?: number;
  /** How often the lag is sampled (tests shorten it). Default 1000 ms. */
  pressureSampleIntervalMs?: number;
  /** The supervision console (server/console/plugin.ts): time zone, cookies behind a TLS proxy. */
  console?: Omit<ConsoleOptions, 'sdb' | 'clock'>;
  /** The site's own reason list, sent to desks with /v1/me (feature 'site.reasons'); absent: desks use the defaults. */
  reasons?: ReasonDefinition[];
  /** Minutes past due after which an agent's open call-back is the team's (sent with /v1/me). */
  callbackHandoverMinutes?: number;
  /** What agents sign in with on this site's desks, and for how long offline (feature 'agent.signIn'). */
  signIn?: SignInRules;
  /** Failed sign-ins allowed per login, desk and address (tests shorten the window). */
  signInThrottle?: Partial<SignInThrottleOptions>;
}

/** Seconds a device is asked to wait after a 503: the database or the server is coming back. */
export const retryAfterSeconds = 5;

/** Never log a token: not the header, not a field that happens to carry one. */
const redactPaths = [
  'req.headers.authorization',
  'request.headers.authorization',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  '*.*.token',
  'password',
  '*.password',
  // POST /v1/sign-in's body and answer: the agent's secret, the new token.
  'secret',
  '*.secret',
  'body.secret',
];

function loggerOption(logger: AppOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return false;
  const given = logger === true ? {} : logger;
  const givenRedact = (given as { redact?: unknown }).redact;
  const extraPaths = Array.isArray(givenRedact) ? (givenRedact as string[]) : [];
  return { level: 'info', ...given, redact: { paths: [...redactPaths, ...extraPaths], censor: '[redacted]' } };
}


/** Any error, as the protocol error the device will read. */
export function toFailure(error: unknown, bodyLimit: number = pushLimits.maxBodyBytes): ProtocolFailure {
  if (error instanceof ProtocolFailure) return error;
  const e = error as { code?: string; statusCode?: number; message?: string };
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ProtocolFailure('body.tooLarge', `max ${bodyLimit} bytes`);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ProtocolFailure('body.invalid', 'JSON');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ProtocolFailure('body.invalid', 'body: empty');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ProtocolFailure('body.invalid', 'Content-Type: application/json');
  }
  if (e.statusCode === 429) return new ProtocolFailure('rate.limited');
  if (e.statusCode === 413) return new ProtocolFailure('body.tooLarge', `max ${bodyLimit} bytes`);
  if (error instanceof SyntaxError) return new ProtocolFailure('body.invalid', 'JSON');
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return new ProtocolFailure('body.invalid');
  // A deadlock or serialization failure that outlived every retry (storage/tx.ts): try again later.
  if (isRetryable(error)) return new ProtocolFailure('server.unavailable');
  if (isDatabaseUnavailable(error)) return new ProtocolFailure('server.unavailable');
  return new ProtocolFailure('server.error');
}

/** A hop count becomes what proxy-addr does with one: trust the nearest N proxies. */
function trustProxyOption(given: AppOptions['trustProxy']): boolean | string | string[] | ((address: string, hop: number) => boolean) {
  if (typeof given === 'number') return (_address, hop) => hop < given;
  return given ?? false;
}

export async function buildApp(sdb: ServerDatabase, options: AppOptions = {}): Promise<FastifyInstance> {
  const clock = options.clock ?? { now: () => new Date() };
  const readiness = options.readiness ?? { ready: true };
  const limit = { ...defaultRateLimit, ...options.rateLimit };
  const bodyLimit = options.bodyLimit ?? pushLimits.maxBodyBytes;
  const sightings = new ReadSightings(sdb.db);
  const app = Fastify({
    logger: loggerOption(options.logger),
    // Fastify's own two lines per request are replaced by ours (onResponse below).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    trustProxy: trustProxyOption(options.trustProxy),
    // X-Request-Id read by request-id.ts (Fastify's own would take any value), echoed in onSend.
    requestIdHeader: false,
    genReqId: requestIdFor,
    // Answered by our own hook below, so the body keeps the protocol's error format.
    return503OnClosing: false,
  });
  app.decorateRequest('caller', null);
  app.decorateRequest('deviceId', null);

  const sendFailure = (reply: FastifyReply, failure: ProtocolFailure) => {
    if (failure.statusCode === 503) void reply.header('retry-after', String(retryAfterSeconds));
    return reply.code(failure.statusCode).send(failure.toResponse());
  };
  app.setErrorHandler((error, request, reply) => {
    const failure = toFailure(error, bodyLimit);
    // A database that went away is an expected, passing state: one line, no stack trace.
    if (failure.body.code === 'server.unavailable') request.log.warn({ reason: (error as Error).message }, 'database unavailable');
    else if (failure.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    return sendFailure(reply, failure);
  });
  app.setNotFoundHandler((_request, reply) => {
    const failure = new ProtocolFailure('not.found');
    void reply.code(failure.statusCode).send(failure.toResponse());
  });

  // While closing (deploy, SIGTERM), requests on kept-alive connections get a 503 the device
  // retries, and every answer, those in flight included, closes its connection: a kept-alive
  // socket left open would hold the exit for the keep-alive timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  answerOversizedBodies(app, bodyLimit);
  app.addHook('onRequest', async (request, reply) => {
    if (closing) {
      request.log.info({ url: request.url }, 'refused while shutting down');
      return sendFailure(reply, new ProtocolFailure('server.unavailable', 'shutting down'));
    }
    if (!readiness.ready && request.url.startsWith('/v1/')) {
      return sendFailure(reply, new ProtocolFailure('server.unavailable', 'database not ready'));
    }
  });
  app.addHook('onSend', async (request, reply) => {
    void reply.header(requestIdHeader, request.id);
    if (closing) void reply.header('connection', 'close');
  });

  await registerOverloadGuard(app, {
    maxEventLoopDelayMs: options.maxEventLoopDelayMs ?? 0,
    sampleIntervalMs: options.pressureSampleIntervalMs ?? 1000,
    refuse: sendFailure,
  });
  registerMetrics(app, { sdb, readiness });

  // One line per request, with who and which device, never the token.
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? null,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
        agentId: request.caller?.agentId ?? null,
        deviceId: request.deviceId,
        // The client's address as trustProxy allows: the proxy's own unless told to believe it.
        ip: request.ip,
      },
      'request',
    );
  });

  // The epoch changes only by an admin command, which is followed by a restart of every instance.
  let epoch: string | null = null;
  const serverEpoch = async (): Promise<string> => (epoch ??= await readServerEpoch(sdb.db));
  const features = [...protocolFeatures];
  const signInRules = options.signIn ?? defaultSignInRules;

  // Readiness: the database answers and carries this version's schema. /health/live says only
  // that the process serves HTTP (a load balancer routes on /health, a supervisor restarts on live).
  const ready = async () => readiness.ready && (await databaseAnswers(sdb.db));
  app.get('/health', async (_request, reply) => {
    if (await ready()) {
      const health: HealthResponse = { status: 'ok', protocol: protocolVersion, features, serverEpoch: await serverEpoch() };
      return health;
    }
    return sendFailure(reply, new ProtocolFailure('server.unavailable'));
  });
  app.get('/health/ready', async (_request, reply) => {
    if (await ready()) return { status: 'ok' };
    return sendFailure(reply, new ProtocolFailure('server.unavailable'));
  });
  app.get('/health/live', async () => ({ status: 'ok' }));

  await app.register(
    async (v1) => {
      const authThrottle = await registerRateLimits(v1, sdb, limit);

      // preParsing: after the rate limit, before the body is read, so an unauthenticated caller
      // learns nothing about its body and costs no parsing.
      v1.addHook('preParsing', async (request, reply) => {
        await authThrottle.check(request, reply);
        try {
          request.caller = await authenticate(sdb.db, request.headers.authorization, clock.now());
          authThrottle.succeeded(request);
        } catch (error) {
          // A wrong or revoked token is a guess; no token at all (auth.missing) cost no lookup.
          if (error instanceof ProtocolFailure && (error.body.code === 'auth.invalid' || error.body.code === 'auth.revoked')) {
            await authThrottle.failed(request);
          }
          throw error;
        }
        const version = request.headers[protocolHeader];
        if (version !== String(protocolVersion)) {
          throw new ProtocolFailure('protocol.unsupported', `${protocolHeader}: ${String(version ?? '-').slice(0, 20)}`);
        }
        const device = request.headers[deviceHeader];
        if (typeof device === 'string' && device.length > 0 && device.length <= 64) request.deviceId = device;
        // A token bound to a desk (device token, agent token from sign-in) is refused elsewhere.
        checkBoundDevice(request.caller, typeof device === 'string' ? device : null);
      });

      // A desk that only reads is seen too; a failed write of this hint never fails the request.
      // A device token names no agent: its desk is seen through its agent events instead.
      const noteSeen = async (request: FastifyRequest) => {
        if (!request.deviceId || !request.caller || request.caller.kind !== 'agent') return;
        await sightings.note(request.deviceId, request.caller.agentId, clock.now()).catch((error: unknown) => {
          request.log.warn({ err: error }, 'device sighting not recorded');
        });
      };

      v1.get('/me', async (request): Promise<MeAnyResponse> => {
        const caller = request.caller!;
        await noteSeen(request);
        if (caller.kind === 'device') {
          return {
            kind: 'device',
            deviceId: caller.boundDeviceId,
            serverTime: clock.now().toISOString(),
            features,
            serverEpoch: await serverEpoch(),
            signIn: signInRules,
            ...(options.reasons ? { reasons: options.reasons } : {}),
            callbackHandoverMinutes: options.callbackHandoverMinutes ?? limits.callbackHandoverMinutes,
          };
        }
        return {
          kind: 'agent',
          ...(caller.boundDeviceId !== null ? { deviceId: caller.boundDeviceId } : {}),
          signIn: signInRules,
          agentId: caller.agentId,
          agentName: caller.agentName,
          serverTime: clock.now().toISOString(),
          features,
          serverEpoch: await serverEpoch(),
          ...(options.reasons ? { reasons: options.reasons } : {}),
          callbackHandoverMinutes: options.callbackHandoverMinutes ?? limits.callbackHandoverMinutes,
        };
      });

      v1.post('/push', async (request) => {
        const push = checkPush(request.body);
        request.deviceId = push.deviceId;
        checkBoundDevice(request.caller!, push.deviceId);
        const now = clock.now();
        const answer = await applyPush(sdb, request.caller!, push, now);
        if (push.device) await saveDeviceReport(sdb, push.deviceId, push.device, now);
        else if (push.deviceReportRefused) request.log.warn({ deviceId: push.deviceId, issue: push.deviceReportRefused }, 'device report ignored');
        return { ...answer, serverEpoch: await serverEpoch() };
      });

      v1.get('/changes', async (request) => {
        const parsed = pullQuerySchema.safeParse(request.query);
        if (!parsed.success) throw new ProtocolFailure('body.invalid', describeIssues(parsed.error));
        // A cursor past the head means this database was restored from a backup: numbers the device
        // already passed will be handed out again, so it reads from zero (ids make that safe).
        const reset = await cursorIsAhead(sdb.db, parsed.data.cursor);
        const page = await readChanges(sdb.db, reset ? '0' : parsed.data.cursor, parsed.data.limit, clock.now(), declaredKinds(request.headers[kindsHeader]));
        await noteSeen(request);
        return { ...page, serverEpoch: await serverEpoch(), ...(reset ? { cursorReset: true } : {}) };
      });

      registerSignIn(v1, { sdb, clock, rules: signInRules, throttle: { ...defaultSignInThrottle, ...options.signInThrottle } });
    },
    { prefix: '/v1' },
  );

  // Outside the token-checked /v1 scope above: the code is the credential.
  await app.register(enrolRoutes, { prefix: '/v1', sdb, clock, signIn: signInRules });
  await app.register(consolePlugin, { prefix: '/console', sdb, clock, secretKind: signInRules.secretKind, ...options.console, ...(options.reasons ? { reasons: options.reasons } : {}) });

  return app;
}
