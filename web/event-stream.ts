// The events main would push over IPC (import progress, sync state), pushed to the browser as
// Server-Sent Events: one stream per open page, every event to every stream.

import type { ServerResponse } from 'node:http';
import type { DeskEventName, DeskEvents } from '../contract/index.ts';

export interface EventStreamHub {
  attach(res: ServerResponse, extraHeaders: Record<string, string>): void;
  emit<E extends DeskEventName>(event: E, payload: DeskEvents[E]): void;
  /** Ends every open stream, so that closing the server does not wait on them. */
  closeAll(): void;
  size(): number;
}

export function createEventStreamHub(heartbeatMs = 15_000): EventStreamHub {
  const streams = new Set<ServerResponse>();
  // A comment line now and then keeps idle streams from being cut by the browser or a proxy.
  const heartbeat = setInterval(() => {
    for (const res of streams) res.write(': ping\n\n');
  }, heartbeatMs);
  heartbeat.unref();

  return {
    attach(res, extraHeaders) {
      res.writeHead(200, {
        ...extraHeaders,
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
      });
      res.write('retry: 2000\n\n');
      streams.add(res);
      res.on('close', () => streams.delete(res));
    },
    emit(event, payload) {
      // JSON has no raw newlines, so one data line per event is enough.
      const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
      for (const res of streams) res.write(frame);
    },
    closeAll() {
      clearInterval(heartbeat);
      for (const res of streams) res.end();
      streams.clear();
    },
    size: () => streams.size,
  };
}
