// Overload: past the event-loop lag limit, answer at once with 503 and Retry-After
// (@fastify/under-pressure) instead of queueing every device behind ever longer latencies.
// Liveness and metrics still answer: a supervisor must not restart a server for being busy, and the
// operator needs the figures most when it is.

import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ProtocolFailure } from './failure.ts';

export interface OverloadOptions {
  /** 0: never refuse. */
  maxEventLoopDelayMs: number;
  sampleIntervalMs: number;
  /** Sends the protocol's 503 (with Retry-After). */
  refuse(reply: FastifyReply, failure: ProtocolFailure): unknown;
}

const alwaysAnswered = new Set(['/health/live', '/metrics']);

export async function registerOverloadGuard(app: FastifyInstance, options: OverloadOptions): Promise<void> {
  if (options.maxEventLoopDelayMs <= 0) return;
  await app.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    sampleInterval: options.sampleIntervalMs,
    pressureHandler: (request, reply, type, value) => {
      if (alwaysAnswered.has(request.url)) return undefined;
      request.log.warn({ type, value }, 'overloaded: request refused');
      // Sent here; returning nothing after reply.send is under-pressure's documented way.
      void options.refuse(reply, new ProtocolFailure('server.unavailable', 'overloaded'));
      return undefined;
    },
  });
}
