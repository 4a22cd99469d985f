// Request ids: the caller's X-Request-Id (a proxy's, a device's) when it looks like one, so that
// the proxy's access log, our log line and the device's report share it; otherwise a new UUID.
// Either way it is echoed on the answer.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const requestIdHeader = 'x-request-id';

/** Letters, digits and a few separators, at most 128: nothing that could forge a log line. */
const requestIdPattern = /^[A-Za-z0-9._:@-]{1,128}$/;

export function requestIdFor(request: IncomingMessage): string {
  const given = request.headers[requestIdHeader];
  return typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
}
