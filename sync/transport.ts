// How the desk reaches its server on a company PC. Two rules: the certificates the OS trusts are
// trusted too (a company's TLS proxy or private CA is in the system store, not in Node's bundled
// list: without this enrolment fails with DEPTH_ZERO_SELF_SIGNED_CERT or UNABLE_TO_GET_ISSUER_CERT),
// and a token never travels in clear text to another machine: plain http:// is only for loopback,
// unless the site's policy allows it (a test lab, a server behind its own VPN).

import tls from 'node:tls';
import { DeskError } from '../contract/errors.ts';

let systemTrustApplied = false;

/**
 * Adds the OS's certificate store to the CAs this thread's fetch trusts. Per thread (each worker has
 * its own TLS defaults), so every thread that makes requests calls it; later calls do nothing.
 * Returns how many system certificates were added (0 where the runtime cannot read the store).
 */
export function trustSystemCertificates(): number {
  if (systemTrustApplied) return 0;
  systemTrustApplied = true;
  // Node ≥ 22.19 / 24.5: read the store (Windows certificate store, macOS keychain, OpenSSL's paths
  // on Linux, which honour SSL_CERT_FILE / SSL_CERT_DIR) and make it part of the default list.
  if (typeof tls.getCACertificates !== 'function' || typeof tls.setDefaultCACertificates !== 'function') return 0;
  const bundled = tls.getCACertificates('default');
  const system = tls.getCACertificates('system');
  tls.setDefaultCACertificates([...new Set([...bundled, ...system])]);
  return system.length;
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Throws sync.plainHttpRefused for http:// to another machine when the policy does not allow it. */
export function assertTransportAllowed(serverUrl: string | URL, allowPlainHttp: boolean): void {
  const url = typeof serverUrl === 'string' ? new URL(serverUrl) : serverUrl;
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && (allowPlainHttp || isLoopbackHost(url.hostname))) return;
  throw new DeskError('sync.plainHttpRefused', { url: url.origin });
}
