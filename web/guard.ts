// Who may talk to the web bridge: only the page this process served, on this machine. The server
// listens on 127.0.0.1 alone; these checks cover what a listening socket cannot: another web page in
// the agent's browser (cross-site requests, DNS rebinding) calling the domain operations.

import { randomBytes, timingSafeEqual } from 'node:crypto';

export const secretHeader = 'x-desk-secret';
export const secretQueryParam = 'secret';

/** A fresh secret per run: a page served by an earlier run, or any other page, does not know it. */
export function newSecret(): string {
  return randomBytes(32).toString('hex');
}

export interface RequestFacts {
  host: string | undefined;
  origin: string | undefined;
  /** Sec-Fetch-Site, sent by current browsers; absent from curl and older clients. */
  fetchSite: string | undefined;
}

export type Refusal = 'host' | 'origin' | 'secret';

/**
 * The Host header must name this loopback server: a DNS-rebinding page reaches 127.0.0.1 under its
 * own host name, so checking it keeps such a page from even reading index.html (and its secret).
 */
export function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

export function checkOrigin(facts: RequestFacts, hosts: Set<string>): Refusal | null {
  if (!facts.host || !hosts.has(facts.host.toLowerCase())) return 'host';
  // An Origin, when the browser sends one, must be the very origin the page was served from.
  if (facts.origin !== undefined && facts.origin !== `http://${facts.host.toLowerCase()}`) return 'origin';
  if (facts.fetchSite !== undefined && facts.fetchSite !== 'same-origin' && facts.fetchSite !== 'none') return 'origin';
  return null;
}

export function secretMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  // Same length first: timingSafeEqual throws otherwise, and the length of a fixed-size secret is no secret.
  return a.length === b.length && timingSafeEqual(a, b);
}
