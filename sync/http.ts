// Talking to the sync server: one request, its headers, its time limit, and a verdict on failure
// that the engine and the scheduler can act on without reading status codes themselves.

import { DeskError } from '../contract/errors.ts';
import { declarableChangeKinds } from '../contract/enums.ts';
import { kindsHeader } from '../contract/sync-protocol.ts';
import { protocolHeader, protocolVersion, type ProtocolErrorBody } from '../contract/sync-protocol.ts';
import { assertTransportAllowed, trustSystemCertificates } from './transport.ts';

export type FailureKind =
  /** Could not reach the server, or it stopped answering: try again later. */
  | 'network'
  /** 429: the server asks us to slow down. */
  | 'rateLimited'
  /** 5xx: the server is there but failing: try again later. */
  | 'server'
  /** 401: the token is missing, wrong or revoked: a person has to act. */
  | 'auth'
  /** 400 protocol.unsupported: this version of the app is too old or too new for the server. */
  | 'protocol'
  /** 413: the request was too big for the server. */
  | 'tooLarge'
  /** 422 or another 4xx: the server refuses what we sent. */
  | 'refused'
  /** The server answered something this app cannot read. */
  | 'badAnswer';

export class SyncFailure extends Error {
  readonly kind: FailureKind;
  readonly status: number | null;
  /** From Retry-After, when the server gave one. */
  readonly retryAfterMs: number | null;
  readonly body: ProtocolErrorBody | null;
  constructor(kind: FailureKind, message: string, extra: { status?: number | null; retryAfterMs?: number | null; body?: ProtocolErrorBody | null; cause?: unknown } = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'SyncFailure';
    this.kind = kind;
    this.status = extra.status ?? null;
    this.retryAfterMs = extra.retryAfterMs ?? null;
    this.body = extra.body ?? null;
  }
  /** Worth trying again on its own, after a pause. */
  get transient(): boolean {
    return this.kind === 'network' || this.kind === 'rateLimited' || this.kind === 'server';
  }
}

/** Retry-After is seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

function kindOf(status: number, body: ProtocolErrorBody | null): FailureKind {
  if (status === 401) return 'auth';
  if (status === 429) return 'rateLimited';
  if (status === 413) return 'tooLarge';
  if (status >= 500) return 'server';
  if (body?.code === 'protocol.unsupported') return 'protocol';
  return 'refused';
}

function readErrorBody(value: unknown): ProtocolErrorBody | null {
  if (typeof value !== 'object' || value === null || !('error' in value)) return null;
  const error = (value as { error: unknown }).error;
  if (typeof error !== 'object' || error === null) return null;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || typeof message !== 'object' || message === null) return null;
  const { fr, en } = message as { fr?: unknown; en?: unknown };
  if (typeof fr !== 'string' || typeof en !== 'string') return null;
  return { code: code as ProtocolErrorBody['code'], message: { fr, en } };
}

export interface SyncHttpOptions {
  serverUrl: string;
  token: string | null;
  /** Named on every request, for the server's logs and its list of devices. */
  deviceId?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Site policy: plain http:// to a machine other than this one (default: refused). */
  allowPlainHttp?: boolean;
}

export class SyncHttp {
  private readonly base: URL;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly options: SyncHttpOptions;
  // No parameter properties here: the worker runs from source under Node's type stripping in tests.
  constructor(options: SyncHttpOptions) {
    this.options = options;
    // A base without a trailing slash would lose its last segment when resolving 'v1/…'.
    this.base = new URL(options.serverUrl.endsWith('/') ? options.serverUrl : `${options.serverUrl}/`);
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    trustSystemCertificates();
  }

  url(path: string): URL {
    return new URL(path, this.base);
  }

  /** Sends one request; the body, when given, is already JSON. Resolves to the parsed answer. */
  async request<T>(method: 'GET' | 'POST', path: string, body?: string): Promise<T> {
    try {
      assertTransportAllowed(this.base, this.options.allowPlainHttp === true);
    } catch (error) {
      // Not worth retrying: only IT can change the address or the policy.
      throw new SyncFailure('refused', error instanceof DeskError ? error.message : String(error), { cause: error });
    }
    const headers: Record<string, string> = { [protocolHeader]: String(protocolVersion), accept: 'application/json' };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (this.options.deviceId) headers['x-desk-device'] = this.options.deviceId;
    // The pulled kinds this version reads beyond the baseline: a server sends no other.
    headers[kindsHeader] = declarableChangeKinds.join(',');
    if (body !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = this.options.signal ? AbortSignal.any([this.options.signal, timeout]) : timeout;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(this.url(path), { method, headers, body: body ?? null, signal });
      text = await response.text();
    } catch (error) {
      throw new SyncFailure('network', `${method} ${path}: ${networkReason(error)}`, { cause: error });
    }
    // The company's proxy, not the server, wants credentials this desk cannot give (NTLM, Kerberos, a
    // login): the same as an unreachable server for the agent (clicks wait here, tries go on), named for IT.
    if (response.status === 407) throw new SyncFailure('network', `${method} ${path}: proxy HTTP 407`);
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      if (response.ok) throw new SyncFailure('badAnswer', `${method} ${path}: réponse illisible (HTTP ${response.status})`, { status: response.status });
    }
    if (response.ok) return parsed as T;
    const errorBody = readErrorBody(parsed);
    throw new SyncFailure(kindOf(response.status, errorBody), `${method} ${path}: HTTP ${response.status}${errorBody ? ` ${errorBody.code}` : ''}`, {
      status: response.status,
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), Date.now()),
      body: errorBody,
    });
  }
}

function networkReason(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'délai dépassé';
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    // A proxy that refused (sync/proxy.ts): undici says so deep in the causes, for a CONNECT tunnel
    // ("Proxy response (407) !== 200 when HTTP Tunneling") and a forwarded request ("… Required (407)").
    for (let e: { message?: unknown; cause?: unknown } | undefined = error, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
      const refused = typeof e.message === 'string' ? /Proxy (?:response|Authentication Required) \((\d{3})\)/.exec(e.message) : null;
      if (refused) return `proxy HTTP ${refused[1]}`;
    }
    if (cause?.code) return cause.code;
    return error.message;
  }
  return String(error);
}
