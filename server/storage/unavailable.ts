// Which database errors mean "not reachable right now" (wait, retry, answer 503) rather than a bug
// or a refusal: the same rule for a request in flight and for a server waiting for its database.

/** Connection refused or lost, database missing or starting or shutting down, too many connections, lock busy. */
const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  '3D000', // database does not exist (yet)
  '57P01', // terminating connection due to administrator command
  '57P02', // crash shutdown
  '57P03', // cannot connect now (starting up, recovering)
  '53300', // too many connections
  '08000',
  '08003',
  '08006',
  'SQLITE_BUSY',
]);

/** pg's own messages for a connection that died or never came, which carry no code. */
const unavailableMessages =
  /timeout exceeded when trying to connect|Connection terminated|connection error and is not queryable|Client was closed and is not queryable|Postgres connection has been discarded/i;

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && unavailableCodes.has(e.code)) return true;
    if (typeof e.message === 'string' && unavailableMessages.test(e.message)) return true;
    // AggregateError (every address of a host name refused)
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.some((inner) => isDatabaseUnavailable(inner))) return true;
  }
  return false;
}
