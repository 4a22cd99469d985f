// The desk on a company PC: its server's certificate is issued by a private CA that only the OS's
// store knows (a TLS-inspecting proxy, an internal PKI). A CA is generated here with openssl, its
// server runs on loopback HTTPS, and the OS store is pointed at the CA through OpenSSL's own
// SSL_CERT_FILE (what the system store is on Linux). Plain fetch refuses it; the desk's requests pass.
// Also: a token never goes in clear text to another machine unless the site's policy says so.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeskError } from '../../contract/errors.ts';
import { fetchTokenAgent } from '../../sync/enrol.ts';
import { SyncFailure, SyncHttp } from '../../sync/http.ts';
import { assertTransportAllowed, isLoopbackHost } from '../../sync/transport.ts';

const root = resolve(import.meta.dirname, '..', '..');
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
if (!hasOpenssl) console.warn('[network-trust] SKIPPED: openssl is not installed, no CA can be generated');

describe.skipIf(!hasOpenssl)('a private CA in the system store', () => {
  let dir: string;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'desk-ca-'));
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Desk Test Company CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
    writeFileSync(join(dir, 'ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext');
    server = createServer({ key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.pem')) }, (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ agentId: 'agent-1', agentName: 'Agent Un' }));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    url = `https://localhost:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(() => {
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `code` in a fresh Node whose OS store holds only the generated CA (async, so the server here keeps answering). */
  async function inChild(code: string): Promise<string> {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
      env: { ...process.env, SSL_CERT_FILE: join(dir, 'ca.pem'), SSL_CERT_DIR: dir, NODE_EXTRA_CA_CERTS: '' },
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (out += chunk));
    await new Promise((ok) => child.on('close', ok));
    return out.trim();
  }

  it('is refused by a bare fetch (what enrolment hit before)', async () => {
    const out = await inChild(`try { await fetch(${JSON.stringify(url)}); console.log('passed'); } catch (e) { console.log('refused', e.cause?.code); }`);
    expect(out).toMatch(/^refused (UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)/);
  });

  it('is trusted by the desk’s sync requests', async () => {
    const http = pathToFileURL(join(root, 'sync', 'http.ts')).href;
    const out = await inChild(
      `const { SyncHttp } = await import(${JSON.stringify(http)});` +
        `const me = await new SyncHttp({ serverUrl: ${JSON.stringify(url)}, token: 't' }).request('GET', 'v1/me');` +
        `console.log(me.agentName);`,
    );
    expect(out).toBe('Agent Un');
  });
});

describe('plain http to another machine', () => {
  it('knows loopback', () => {
    for (const host of ['localhost', '127.0.0.1', '127.8.0.3', '[::1]', 'desk.localhost']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['10.0.0.5', 'sync.example.fr', '[::ffff:10.0.0.1]', 'localhost.example.fr']) expect(isLoopbackHost(host), host).toBe(false);
  });

  it('is refused at enrolment before the token leaves, in French and English', async () => {
    let called = false;
    const spy = (async () => {
      called = true;
      return new Response('{}');
    }) as typeof fetch;
    const error = await fetchTokenAgent('http://sync.example.fr', 'secret', { fetch: spy }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeskError);
    expect((error as DeskError).code).toBe('sync.plainHttpRefused');
    expect((error as DeskError).toPayload().message.fr).toContain('http://sync.example.fr n’est pas chiffrée');
    expect(called).toBe(false);
  });

  it('is refused on every sync request, as a failure a person must fix', async () => {
    const spy = (async () => new Response('{}')) as typeof fetch;
    const error = await new SyncHttp({ serverUrl: 'http://10.1.2.3:8080', token: 'secret', fetch: spy }).request('GET', 'v1/me').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncFailure);
    expect((error as SyncFailure).kind).toBe('refused');
    expect((error as SyncFailure).transient).toBe(false);
  });

  it('passes when the policy allows it, and for loopback and https always', async () => {
    const spy = (async () => new Response(JSON.stringify({ agentId: 'a', agentName: 'b' }))) as typeof fetch;
    await expect(new SyncHttp({ serverUrl: 'http://10.1.2.3:8080', token: 't', fetch: spy, allowPlainHttp: true }).request('GET', 'v1/me')).resolves.toEqual({ agentId: 'a', agentName: 'b' });
    expect(() => assertTransportAllowed('http://127.0.0.1:3000', false)).not.toThrow();
    expect(() => assertTransportAllowed('https://sync.example.fr', false)).not.toThrow();
    expect(() => assertTransportAllowed('ftp://sync.example.fr', true)).toThrow(DeskError);
  });
});
