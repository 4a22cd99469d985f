// How the desk's requests to its server go through the company's proxy. The system's proxy settings
// (Windows' Internet options or a PAC script, macOS' network settings, GNOME's or the environment's on
// Linux) are known to Chromium, in Electron's main process (session.resolveProxy). The requests are
// made elsewhere, by Node's fetch in the database worker (enrolment, sign-in) and the sync worker,
// which know none of it: main resolves the route for the server's address, in the PAC form Chromium
// answers ("PROXY host:port; DIRECT"), and these threads fetch along it with undici's proxy agents.
// Without Electron (the web bridge, a test) the route comes from HTTPS_PROXY / HTTP_PROXY / NO_PROXY.

import { fetch as undiciFetch, ProxyAgent, Socks5ProxyAgent, type Dispatcher } from 'undici';
import { isLoopbackHost } from './transport.ts';

/** One entry of a PAC answer, in the order to try them. */
export type ProxyRoute =
  | { kind: 'direct' }
  /** PROXY (plain HTTP to the proxy) or HTTPS (TLS to the proxy). */
  | { kind: 'http' | 'https'; host: string; port: number }
  | { kind: 'socks5'; host: string; port: number };

/** Resolves the route for one URL, in PAC form: Electron's session.resolveProxy, or proxyFromEnvironment. */
export type ProxyResolver = (url: string) => Promise<string>;

const defaultPorts = { http: 80, https: 443, socks5: 1080 } as const;

function hostAndPort(text: string, kind: keyof typeof defaultPorts): { host: string; port: number } | null {
  const match = /^(\[[0-9a-f:.]+\]|[^\s:\[\]]+)(?::(\d{1,5}))?$/i.exec(text);
  if (!match) return null;
  const port = match[2] === undefined ? defaultPorts[kind] : Number(match[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return null;
  return { host: match[1]!, port };
}

/**
 * Reads a PAC answer ("PROXY a:8080; HTTPS b:443; SOCKS5 c:1080; DIRECT"). Entries this desk cannot
 * use (SOCKS4, QUIC, an unreadable one) are left out; an answer with nothing usable is DIRECT, as
 * Chromium itself falls back when every proxy fails.
 */
export function parseProxyRules(rules: string): ProxyRoute[] {
  const routes: ProxyRoute[] = [];
  for (const entry of rules.split(';')) {
    const [word = '', rest = ''] = entry.trim().split(/\s+/, 2);
    const keyword = word.toUpperCase();
    if (keyword === 'DIRECT') {
      routes.push({ kind: 'direct' });
      continue;
    }
    const kind = keyword === 'PROXY' ? 'http' : keyword === 'HTTPS' ? 'https' : keyword === 'SOCKS5' ? 'socks5' : null;
    if (!kind) continue;
    const where = hostAndPort(rest, kind);
    if (where) routes.push({ kind, ...where });
  }
  return routes.length > 0 ? routes : [{ kind: 'direct' }];
}

function noProxyMatches(hostname: string, port: string, noProxy: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const [name = '', entryPort] = entry.startsWith('[') ? [entry.replace(/^\[|\](:\d+)?$/g, ''), /\]:(\d+)$/.exec(entry)?.[1]] : entry.split(':');
    if (entryPort && entryPort !== port) continue;
    const bare = name.replace(/^\*?\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return true;
  }
  return false;
}

/**
 * The route the environment names for a URL, as curl reads it: HTTPS_PROXY for https://, HTTP_PROXY
 * for http:// (either case), none for NO_PROXY's hosts and for this PC itself.
 */
export function proxyFromEnvironment(url: string, env: NodeJS.ProcessEnv = process.env): string {
  const target = new URL(url);
  if (isLoopbackHost(target.hostname)) return 'DIRECT';
  const noProxy = env.NO_PROXY ?? env.no_proxy ?? '';
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  if (noProxy && noProxyMatches(target.hostname, port, noProxy)) return 'DIRECT';
  const named = target.protocol === 'https:' ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.HTTP_PROXY ?? env.http_proxy);
  if (!named) return 'DIRECT';
  let proxy: URL;
  try {
    proxy = new URL(named.includes('://') ? named : `http://${named}`);
  } catch {
    return 'DIRECT';
  }
  const keyword = proxy.protocol === 'https:' ? 'HTTPS' : proxy.protocol.startsWith('socks5') ? 'SOCKS5' : proxy.protocol === 'http:' ? 'PROXY' : null;
  if (!keyword) return 'DIRECT';
  return `${keyword} ${proxy.host}; DIRECT`;
}

/** Where no Electron answers (the web bridge, a test): the environment's route. */
export const environmentProxyResolver: ProxyResolver = async (url) => proxyFromEnvironment(url);

/** Errors that mean the proxy itself could not be reached: the next route is tried, as Chromium does. */
const unreachableProxyCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

function proxyUnreachable(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && unreachableProxyCodes.has(e.code)) return true;
  }
  return false;
}

/** One agent per proxy and way of using it, kept for the thread's life: their connections are reused. */
const agents = new Map<string, Dispatcher>();

function agentFor(route: Exclude<ProxyRoute, { kind: 'direct' }>, tunnel: boolean): Dispatcher {
  const key = `${route.kind} ${route.host}:${route.port} ${tunnel ? 'tunnel' : 'forward'}`;
  let agent = agents.get(key);
  if (!agent) {
    const uri = `${route.kind === 'socks5' ? 'socks5' : route.kind}://${route.host}:${route.port}`;
    // An https:// server is reached through a CONNECT tunnel (the proxy sees only the host name);
    // plain http:// is forwarded as browsers do, which is what company proxies allow for port 80.
    agent = route.kind === 'socks5' ? new Socks5ProxyAgent(uri) : new ProxyAgent({ uri, proxyTunnel: tunnel });
    agents.set(key, agent);
  }
  return agent;
}

/**
 * A fetch that goes along a PAC answer: through its first usable proxy, to the next when a proxy
 * cannot be reached (refused, unknown, no route), DIRECT when the answer says so. Only a failure to
 * reach the proxy moves on: once a proxy took the request, its answer or error is the request's.
 */
export function fetchAlong(rules: string): typeof fetch {
  const routes = parseProxyRules(rules);
  if (routes.length === 1 && routes[0]!.kind === 'direct') return fetch;
  return (async (input: string | URL | Request, init?: RequestInit) => {
    // The desk's callers (sync/http.ts) give a URL and its init; a Request's own method and body would be lost here.
    if (input instanceof Request) throw new TypeError('fetchAlong takes a URL and its init, not a Request');
    const url = new URL(String(input));
    let lastError: unknown;
    for (const route of routes) {
      try {
        if (route.kind === 'direct') return await fetch(input, init);
        const dispatcher = agentFor(route, url.protocol === 'https:');
        return (await undiciFetch(url, { ...(init as object), dispatcher } as Parameters<typeof undiciFetch>[1])) as unknown as Response;
      } catch (error) {
        lastError = error;
        if (route.kind === 'direct' || !proxyUnreachable(error) || init?.signal?.aborted) throw error;
      }
    }
    throw lastError;
  }) as typeof fetch;
}
