// Rate limits of the /v1 routes, two of them:
// - per token: each token may make `max` requests per window, whatever the spelling of its header
//   (the key is the parsed token's hash, so `bearer T`, `BEARER T` or a tab count as the same token);
// - per client address, failed authentications: after `maxAuthFailures` wrong tokens in a window,
//   the address gets 429 before its token is looked up at all (no guessing, no load on the database).
//   Desks of a call center often share one address (NAT): a token that authenticated on this
//   instance during the window still passes, so one desk with a wrong token does not stop the others.
// Counters are in memory by default (one process), or in the server's PostgreSQL database when
// several instances serve the same devices (`store: 'postgres'`), so that they share the limits.
// Addresses are the client's (request.ip): behind a reverse proxy, set trustProxy so that they are.

import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ProtocolFailure } from './failure.ts';
import { sharedRateStore } from './rate-store.ts';
import type { ServerDatabase } from './storage/database.ts';
import { bearerToken } from './tokens.ts';

export type RateLimitStoreName = 'memory' | 'postgres';
export const rateLimitStores: readonly RateLimitStoreName[] = ['memory', 'postgres'];

export interface RateLimitOptions {
  /** Requests per token (or per address, without a token) per window. */
  max: number;
  timeWindowMs: number;
  /** Failed authentications per client address per window; then 429 until the window ends. */
  maxAuthFailures?: number;
  /** Where counters live: 'memory' (default, this process) or 'postgres' (shared by every instance). */
  store?: RateLimitStoreName;
}

/** Ten requests a second per token, sustained: a device syncing flat out stays well below. */
export const defaultRateLimit: RateLimitOptions = { max: 600, timeWindowMs: 60_000, maxAuthFailures: 30, store: 'memory' };

function tokenKey(request: FastifyRequest): string | null {
  const token = bearerToken(request.headers.authorization);
  // A hash, so that no counter (in memory or in the database) ever holds a token.
  return token ? createHash('sha256').update(token, 'utf8').digest('base64url') : null;
}

function requestKey(request: FastifyRequest): string {
  const token = tokenKey(request);
  return token ? `t:${token}` : `ip:${request.ip}`;
}

const maxTrustedTokens = 10_000;

export interface AuthThrottle {
  /** Throws 429 rate.limited when the caller's address has failed too often. */
  check(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** Counts a failed authentication against the caller's address. */
  failed(request: FastifyRequest): Promise<void>;
  /** Remembers a token that authenticated, for the window (it passes a throttled address). */
  succeeded(request: FastifyRequest): void;
}

export async function registerRateLimits(v1: FastifyInstance, sdb: ServerDatabase, options: RateLimitOptions): Promise<AuthThrottle> {
  const store = options.store ?? 'memory';
  if (store === 'postgres' && sdb.dialect !== 'postgres') {
    throw new Error('Rate-limit store "postgres" needs a PostgreSQL database (--db postgres://…); use "memory" with SQLite.');
  }
  await v1.register(rateLimit, {
    max: options.max,
    timeWindow: options.timeWindowMs,
    hook: 'onRequest',
    keyGenerator: requestKey,
    errorResponseBuilder: () => new ProtocolFailure('rate.limited'),
    ...(store === 'postgres' ? { store: sharedRateStore(sdb.db) } : {}),
  });
  const maxFailures = options.maxAuthFailures ?? defaultRateLimit.maxAuthFailures!;
  const failures = v1.createRateLimit({
    max: maxFailures,
    timeWindow: options.timeWindowMs,
    keyGenerator: (request) => `fail:${request.ip}`,
  });
  const trusted = new Map<string, number>();
  return {
    async check(request, reply) {
      // No Authorization at all is answered auth.missing without a lookup: nothing to throttle.
      if (!request.headers.authorization) return;
      const token = tokenKey(request);
      const until = token ? trusted.get(token) : undefined;
      if (until !== undefined && until > Date.now()) return;
      const state = await failures(request, { increment: false });
      if (state.isAllowed || state.remaining > 0) return;
      // Counted too: the count goes over the limit, which a shared store then answers from memory.
      const counted = await failures(request);
      const seconds = counted.isAllowed ? 1 : Math.max(1, counted.ttlInSeconds);
      void reply.header('retry-after', seconds);
      throw new ProtocolFailure('rate.limited');
    },
    async failed(request) {
      const token = tokenKey(request);
      if (token) trusted.delete(token);
      await failures(request);
    },
    succeeded(request) {
      const token = tokenKey(request);
      if (!token) return;
      if (trusted.size >= maxTrustedTokens) trusted.clear();
      trusted.set(token, Date.now() + options.timeWindowMs);
    },
  };
}
