// A push larger than the limit is answered 413 as soon as its headers arrive (Content-Length), before
// the token is looked up or a byte of the body is read. The connection stays open while the client
// finishes sending (Node discards the rest of the body): had it been closed, the client, still
// uploading, would get a reset (EPIPE) instead of the answer, and could not know to split its batch.
// A client that keeps sending for too long is cut off.

import type { FastifyInstance } from 'fastify';
import { ProtocolFailure } from './failure.ts';

/** How long the rest of an oversized body is read and dropped before the connection is closed. */
export const oversizedDrainMs = 30_000;

export function answerOversizedBodies(app: FastifyInstance, maxBytes: number): void {
  app.addHook('onRequest', async (request) => {
    const declared = request.headers['content-length'];
    // Without a length (chunked), Fastify's bodyLimit stops reading at the limit.
    if (declared === undefined || !/^[0-9]+$/.test(declared) || Number(declared) <= maxBytes) return;
    const raw = request.raw;
    const timer = setTimeout(() => raw.socket?.destroy(), oversizedDrainMs);
    timer.unref();
    const done = () => clearTimeout(timer);
    raw.once('end', done);
    raw.once('close', done);
    throw new ProtocolFailure('body.tooLarge', `max ${maxBytes} bytes`);
  });
}
