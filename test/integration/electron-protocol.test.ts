// app://desk/: the handler main gives protocol.handle, as the page's requests reach it (through the
// fake `protocol` module, with real Request/Response objects and real files): what is served, with
// which type and headers, and what is refused before any file is read.

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('../helpers/fake-electron.ts')).electronModule);

import { contentSecurityPolicy, frameAncestors } from '../../contract/csp.ts';
import { appScheme, createAppRequestHandler } from '../../main/app-protocol.ts';
import { fake, resetFakeElectron } from '../helpers/fake-electron.ts';

let root: string;
let bundle: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'desk-protocol-'));
  bundle = join(root, 'out', 'renderer');
  mkdirSync(join(bundle, 'assets'), { recursive: true });
  writeFileSync(join(bundle, 'index.html'), '<!doctype html><title>Notification Desk</title>');
  writeFileSync(join(bundle, 'assets', 'index-abc.js'), 'console.log(1)');
  writeFileSync(join(bundle, 'assets', 'index-abc.css'), 'body{}');
  writeFileSync(join(bundle, 'assets', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(bundle, 'assets', 'font.woff2'), Buffer.from([0x77, 0x4f, 0x46, 0x32]));
  writeFileSync(join(bundle, 'assets', 'blob.bin'), Buffer.from([1, 2, 3]));
  writeFileSync(join(bundle, 'assets', 'page.HTML'), '<p>upper</p>');
  // Secrets next to the bundle, which a traversal would reach.
  writeFileSync(join(root, 'out', 'secret.txt'), 'not for the page');
  writeFileSync(join(root, 'secret.txt'), 'not for the page');
  symlinkSync(join(root, 'secret.txt'), join(bundle, 'assets', 'link.txt'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeEach(() => {
  resetFakeElectron();
  fake.protocol.handle(appScheme, createAppRequestHandler(bundle));
});

const get = (url: string, init?: RequestInit) => fake.protocol.fetch(url, init);
const policy = `${contentSecurityPolicy}; ${frameAncestors}`;

describe('app://desk/ serves the bundle', () => {
  it('answers the page, at / too, with its type and the CSP header', async () => {
    for (const url of ['app://desk/index.html', 'app://desk/', 'app://desk/index.html?x=1#/clients/C-1']) {
      const response = await get(url);
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('content-security-policy')).toBe(policy);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await response.text()).toContain('<title>Notification Desk</title>');
    }
  });

  it('gives each asset its MIME type; anything unknown is opaque bytes', async () => {
    const types: Record<string, string> = {
      'assets/index-abc.js': 'text/javascript; charset=utf-8',
      'assets/index-abc.css': 'text/css; charset=utf-8',
      'assets/logo.svg': 'image/svg+xml',
      'assets/font.woff2': 'font/woff2',
      'assets/blob.bin': 'application/octet-stream',
      'assets/page.HTML': 'text/html; charset=utf-8',
    };
    for (const [path, type] of Object.entries(types)) {
      const response = await get(`app://desk/${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toBe(type);
      expect(response.headers.get('content-security-policy'), path).toBe(policy);
    }
    expect(new Uint8Array(await (await get('app://desk/assets/font.woff2')).arrayBuffer())).toEqual(new Uint8Array([0x77, 0x4f, 0x46, 0x32]));
  });

  it('answers 404, with the CSP, for what the bundle does not hold, a folder, or another host', async () => {
    for (const url of ['app://desk/nope.html', 'app://desk/assets', 'app://desk/assets/', 'app://desk/index.html/x', 'app://other/index.html']) {
      const response = await get(url);
      expect(response.status, url).toBe(404);
      expect(response.headers.get('content-security-policy'), url).toBe(policy);
    }
  });

  it('refuses every way out of the folder with 403, before reading anything', async () => {
    for (const url of [
      'app://desk/%2E%2E%2Fsecret.txt',
      'app://desk/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      'app://desk/..%2f..%2fsecret.txt',
      'app://desk/..%5c..%5csecret.txt',
      'app://desk/assets%5c..%5c..%5csecret.txt',
      'app://desk/index.html%00.js',
      'app://desk/assets/link.txt',
    ]) {
      const response = await get(url);
      expect(response.status, url).toBe(403);
      expect(await response.text(), url).not.toContain('not for the page');
    }
    // Dot segments (plain or %2e%2e alone) are resolved by the URL parser first: they stay inside.
    expect((await get('app://desk/assets/../../../secret.txt')).status).toBe(404);
    expect((await get('app://desk/%2e%2e/secret.txt')).status).toBe(404);
    expect((await get('app://desk/assets/../index.html')).status).toBe(200);
  });

  it('is read-only and rejects a malformed path', async () => {
    expect((await get('app://desk/index.html', { method: 'POST', body: 'x' })).status).toBe(405);
    const head = await get('app://desk/index.html', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await get('app://desk/%E0%A4%A')).status).toBe(400);
  });
});
