// `npm run web` as a server: what it serves, whom it refuses, and the bridge it gives the page.
// These tests serve a minimal page (the real CSP, no app) so that they check the bridge alone;
// the agent flows on the real interface are in the other files of this folder.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { contentSecurityPolicy } from '../../contract/csp.ts';
import type { Result, Settings } from '../../contract/index.ts';
import { createDeskHandlers } from '../../db/desk.ts';
import { openDatabase } from '../../db/connection.ts';
import { databaseFileName, defaultRendererDir, startWebServer, type WebServer } from '../../web/server.ts';
import { launchChromium, withServedDatabase } from '../helpers/browser.ts';
import { lockFileName } from '../../web/data-lock.ts';
import { tempDir } from '../helpers/local-db.ts';

const root = join(import.meta.dirname, '..', '..');

/** A page with the renderer's CSP whose module script notes whether window.desk was already there. */
function writeMinimalRenderer(dir: string): void {
  mkdirSync(join(dir, 'assets'), { recursive: true });
  mkdirSync(join(dir, '.hidden'), { recursive: true });
  writeFileSync(
    join(dir, 'index.html'),
    `<!doctype html>
<html lang="fr">
  <head>
    <meta charset="utf-8" />
    <meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy}" />
    <title>Notification Desk</title>
    <script type="module" src="/assets/app.js"></script>
    <link rel="stylesheet" href="/assets/app.css" />
  </head>
  <body><main id="root"></main></body>
</html>
`,
  );
  writeFileSync(join(dir, 'assets', 'app.js'), `document.body.dataset.bridgeAtStart = typeof window.desk + ':' + (window.desk && window.desk.shell);\n`);
  writeFileSync(join(dir, 'assets', 'app.css'), 'body { font-family: sans-serif; }\n');
  writeFileSync(join(dir, 'assets', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>\n');
  writeFileSync(join(dir, 'assets', 'notes.bak'), 'not a served type\n');
  writeFileSync(join(dir, '.hidden', 'secret.txt'), 'hidden\n');
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** node:http rather than fetch: fetch will not let a test forge Host, as a rebinding page would. */
function raw(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe('npm run web: the HTTP bridge', () => {
  let rendererDir: string;
  let dataDir: string;
  let server: WebServer;
  let api: (operation: string, body: string, headers?: Record<string, string>) => Promise<RawResponse>;

  beforeAll(async () => {
    rendererDir = tempDir('desk-renderer-');
    writeMinimalRenderer(rendererDir);
    dataDir = tempDir('desk-web-data-');
    server = await startWebServer({ dataDir, port: 0, rendererDir, agentName: 'Awa Diallo', demoClients: 30 });
    api = (operation, body, headers = {}) =>
      raw(server.port, 'POST', `/desk/api/${operation}`, { 'content-type': 'application/json', 'x-desk-secret': server.secret, ...headers }, body);
  });

  afterAll(async () => {
    await server?.close();
    rmSync(rendererDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 only, on the port it was given (0: a free one)', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    expect(server.port).toBeGreaterThan(0);
  });

  it('serves index.html with the secret and the bridge injected in <head>, after the CSP meta, never cached', async () => {
    const res = await raw(server.port, 'GET', '/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    const head = res.body.slice(0, res.body.indexOf('</head>'));
    expect(head).toContain(`<meta name="desk-secret" content="${server.secret}">`);
    expect(head).toContain('<script src="/desk-bridge.js"></script>');
    expect(head.indexOf('Content-Security-Policy')).toBeLessThan(head.indexOf('desk-secret'));
    expect(head).toContain(contentSecurityPolicy);
    expect(server.secret).toMatch(/^[0-9a-f]{64}$/);
  });

  it('answers an operation through the contract: a Result in JSON', async () => {
    const res = await api('getSettings', '{}');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const result = JSON.parse(res.body) as Result<Settings>;
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.value.agent?.name).toBe('Awa Diallo');
      expect(result.value.clientCount).toBe(30);
    }
  });

  it('refuses a call without the secret, or with a wrong one (403, FR/EN), and changes nothing', async () => {
    for (const headers of [{ 'x-desk-secret': '' }, { 'x-desk-secret': 'f'.repeat(64) }, { 'x-desk-secret': server.secret.slice(0, 10) }]) {
      const res = await api('updateSettings', '{"agentName":"Intrus"}', headers);
      expect(res.status).toBe(403);
      const result = JSON.parse(res.body) as Result<unknown>;
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error.code).toBe('sender.forbidden');
        expect(result.error.message.fr).toMatch(/refusé/);
        expect(result.error.message.en).toMatch(/refused/);
      }
    }
    const events = await raw(server.port, 'GET', '/desk/events?secret=nope');
    expect(events.status).toBe(403);
    const settings = JSON.parse((await api('getSettings', '{}')).body) as Result<Settings>;
    expect(settings.ok && settings.value.agent?.name).toBe('Awa Diallo');
  });

  it('refuses any request whose Host is not this server (DNS rebinding), index.html included', async () => {
    for (const path of ['/', '/index.html', '/desk-bridge.js', '/assets/app.js']) {
      const res = await raw(server.port, 'GET', path, { host: `attacker.example:${server.port}` });
      expect(res.status, path).toBe(403);
      expect(res.body).not.toContain(server.secret);
    }
    const rebound = await api('getSettings', '{}', { host: `attacker.example:${server.port}` });
    expect(rebound.status).toBe(403);
    expect((await raw(server.port, 'GET', '/', { host: `127.0.0.1:${server.port + 1}` })).status).toBe(403);
    expect((await raw(server.port, 'GET', '/', { host: `localhost:${server.port}` })).status).toBe(200);
  });

  it('refuses a foreign Origin or a cross-site fetch, and never sends CORS headers', async () => {
    const foreign = await api('getSettings', '{}', { origin: 'http://attacker.example' });
    expect(foreign.status).toBe(403);
    const otherPort = await api('getSettings', '{}', { origin: `http://127.0.0.1:${server.port + 1}` });
    expect(otherPort.status).toBe(403);
    const crossSite = await api('getSettings', '{}', { 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    const same = await api('getSettings', '{}', { origin: `http://127.0.0.1:${server.port}`, 'sec-fetch-site': 'same-origin' });
    expect(same.status).toBe(200);
    const preflight = await raw(server.port, 'OPTIONS', '/desk/api/getSettings', {
      origin: 'http://attacker.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'x-desk-secret',
    });
    expect(preflight.status).toBeGreaterThanOrEqual(400);
    for (const res of [foreign, same, preflight]) {
      expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
  });

  it('answers bad bodies with the input.invalid payload: broken JSON, a form post, a bad field', async () => {
    const broken = await api('getSettings', '{"agentName": ');
    expect(broken.status).toBe(400);
    const brokenResult = JSON.parse(broken.body) as Result<unknown>;
    expect(!brokenResult.ok && brokenResult.error.code).toBe('input.invalid');
    expect(!brokenResult.ok && brokenResult.error.message.fr).toMatch(/^Données invalides/);
    expect(!brokenResult.ok && brokenResult.error.message.en).toMatch(/^Invalid data/);

    const form = await api('updateSettings', 'agentName=Intrus', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    const text = await api('updateSettings', '{"agentName":"Intrus"}', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect((JSON.parse(text.body) as Result<unknown>).ok).toBe(false);

    const badField = await api('getClient', '{"code":""}');
    expect(badField.status).toBe(400);
    const extra = await api('getSettings', '{"dropTables":true}');
    expect(extra.status).toBe(400);
    const unknown = await api('dropTables', '{}');
    expect(unknown.status).toBe(404);
    expect((JSON.parse(unknown.body) as Result<unknown>).ok).toBe(false);

    const settings = JSON.parse((await api('getSettings', '{}')).body) as Result<Settings>;
    expect(settings.ok && settings.value.agent?.name).toBe('Awa Diallo');
  });

  it('answers a body over the limit with 413 and a FR/EN message, before any work', async () => {
    const content = 'x'.repeat(66 * 1024 * 1024);
    const res = await api('importClients', JSON.stringify({ content }));
    expect(res.status).toBe(413);
    const result = JSON.parse(res.body) as Result<unknown>;
    expect(!result.ok && result.error.code).toBe('import.tooLarge');
    expect(!result.ok && result.error.message.fr).toMatch(/trop volumineux/);
    expect(!result.ok && result.error.message.en).toMatch(/too large/);
  });

  it('serves built files with their content types and nothing outside the renderer folder', async () => {
    const js = await raw(server.port, 'GET', '/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    expect((await raw(server.port, 'GET', '/assets/app.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await raw(server.port, 'GET', '/assets/logo.svg')).headers['content-type']).toBe('image/svg+xml');
    const bridge = await raw(server.port, 'GET', '/desk-bridge.js');
    expect(bridge.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(bridge.body).not.toContain(server.secret);
    for (const path of [
      '/../package.json',
      '/%2e%2e/package.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets%2f..%2f..%2fpackage.json',
      '/assets/..%5c..%5cpackage.json',
      '/.hidden/secret.txt',
      '/assets/notes.bak',
      '/assets',
      '/assets/%00app.js',
      '/nothing-here.js',
    ]) {
      const res = await raw(server.port, 'GET', path);
      expect(res.status, path).toBe(404);
      expect(res.body).not.toContain('"name": "notification-desk"');
    }
  });
});

describe('npm run web: start-up', () => {
  it('seeds demo clients only into an empty base, and keeps the data across restarts', async () => {
    const rendererDir = tempDir('desk-renderer-');
    writeMinimalRenderer(rendererDir);
    const dataDir = tempDir('desk-web-data-');
    try {
      const first = await startWebServer({ dataDir, port: 0, rendererDir, demoClients: 5, agentName: 'Awa Diallo' });
      const firstDevice = first.database.deviceId;
      await first.close();
      const second = await startWebServer({ dataDir, port: 0, rendererDir, demoClients: 9 });
      const settings = await withServedDatabase(second, async (_local, desk) => desk.getSettings({}));
      await second.close();
      expect(settings.clientCount).toBe(5);
      expect(settings.agent?.name).toBe('Awa Diallo');
      expect(settings.deviceId).toBe(firstDevice);
    } finally {
      rmSync(rendererDir, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a bad --agent through the contract, with its FR/EN message, and writes nothing', async () => {
    const rendererDir = tempDir('desk-renderer-');
    writeMinimalRenderer(rendererDir);
    const dataDir = tempDir('desk-web-data-');
    try {
      await expect(startWebServer({ dataDir, port: 0, rendererDir, agentName: 'x'.repeat(81) })).rejects.toThrow(/Données invalides.*Invalid data/);
      const local = await openDatabase(join(dataDir, databaseFileName));
      const settings = await createDeskHandlers(local).getSettings({});
      await local.close();
      expect(settings.agent).toBeNull();
    } finally {
      rmSync(rendererDir, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps the web bridge out of the production renderer bundle', () => {
    const built = join(defaultRendererDir, 'assets');
    if (!existsSync(built)) throw new Error(`${built} is missing: run "npx electron-vite build" before the browser suite`);
    for (const file of readdirSync(built).filter((f) => f.endsWith('.js'))) {
      const code = readFileSync(join(built, file), 'utf8');
      expect(code, file).not.toMatch(/x-desk-secret|desk-secret|\/desk\/api\//i);
    }
  });
});

describe('npm run web: window.desk in Chromium', () => {
  let rendererDir: string;
  let dataDirs: string[] = [];
  let server: WebServer;
  let other: WebServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    rendererDir = tempDir('desk-renderer-');
    writeMinimalRenderer(rendererDir);
    dataDirs = [tempDir('desk-web-data-'), tempDir('desk-web-other-')];
    server = await startWebServer({ dataDir: dataDirs[0]!, port: 0, rendererDir, agentName: 'Awa Diallo', demoClients: 10 });
    other = await startWebServer({ dataDir: dataDirs[1]!, port: 0, rendererDir });
    browser = await launchChromium();
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await other?.close();
    rmSync(rendererDir, { recursive: true, force: true });
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('defines window.desk before the app module runs, with every operation and shell "web"', async () => {
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.bridgeAtStart !== undefined);
    expect(await page.evaluate(() => document.body.dataset.bridgeAtStart)).toBe('object:web');
    const names = await page.evaluate(() => Object.keys(window.desk.api).sort());
    const { operationNames } = await import('../../contract/operations.ts');
    expect(names).toEqual([...operationNames].sort());
    expect(await page.evaluate(() => Object.isFrozen(window.desk))).toBe(true);
    expect(errors, 'no CSP violation nor script error').toEqual([]);
  });

  it('runs real operations: search, record, history, and a refused input as a Result', async () => {
    await page.goto(server.url);
    const outcome = await page.evaluate(async () => {
      // Runs in the page: window.desk is the bridge under test.
      const page1 = await window.desk.api.searchClients({ query: '', status: 'never', limit: 5 });
      if (!page1.ok) throw new Error(page1.error.message.en);
      const code = page1.value.items[0]!.code;
      const recorded = await window.desk.api.recordAttempt({ clientCode: code, status: 'success', channel: 'phone' });
      const history = await window.desk.api.listHistory({ clientCode: code });
      const refused = await window.desk.api.getClient({ code: '' });
      const missing = await window.desk.api.getClient({ code: 'NO-SUCH-CLIENT' });
      return { code, recorded, history, refused, missing };
    });
    expect(outcome.recorded.ok).toBe(true);
    if (outcome.recorded.ok) {
      expect(outcome.recorded.value.client.status).toBe('success');
      expect(outcome.recorded.value.attempt.agentName).toBe('Awa Diallo');
    }
    expect(outcome.history.ok && outcome.history.value.items.map((a) => a.status)).toEqual(['success']);
    expect(!outcome.refused.ok && outcome.refused.error.code).toBe('input.invalid');
    expect(!outcome.missing.ok && outcome.missing.error.code).toBe('client.notFound');
    const stored = await withServedDatabase(server, ({ db }) => db.selectFrom('attempts').select(['client_code']).execute());
    expect(stored.map((r) => r.client_code)).toEqual([outcome.code]);
  });

  it('delivers pushed events through desk.on, and stops after unsubscribe', async () => {
    await page.goto(server.url);
    await page.evaluate(() => {
      const seen: unknown[] = [];
      (window as unknown as { seen: unknown[] }).seen = seen;
      (window as unknown as { stop: () => void }).stop = window.desk.on('syncState', (state) => seen.push(state));
    });
    await expect.poll(() => server.eventStreams()).toBe(1);
    const state = { phase: 'idle', serverUrl: null, online: true, pending: 3, deadLetters: 0, lastSyncAt: null, lastError: null, nextAttemptAt: null } as const;
    server.emit('syncState', state);
    server.emit('importProgress', { importId: 'x', linesRead: 1, bytesRead: 2, bytesTotal: 3 });
    await page.waitForFunction(() => (window as unknown as { seen: unknown[] }).seen.length > 0);
    expect(await page.evaluate(() => (window as unknown as { seen: unknown[] }).seen)).toEqual([state]);
    await page.evaluate(() => (window as unknown as { stop: () => void }).stop());
    await expect.poll(() => server.eventStreams()).toBe(0);
  });

  it('gives another origin nothing: no readable page, no bridge script, no API without the secret', async () => {
    await page.goto(other.url);
    const target = server.url;
    const probe = await page.evaluate(async (target) => {
      const readIndex = await fetch(target).then(
        (r) => r.text().then(() => 'read'),
        () => 'blocked',
      );
      const callApi = await fetch(`${target}desk/api/getSettings`, { method: 'POST', body: '{}' }).then(
        (r) => `status ${r.status}`,
        () => 'blocked',
      );
      const script = await new Promise<string>((resolve) => {
        const s = document.createElement('script');
        s.src = `${target}desk-bridge.js`;
        s.onload = () => resolve('loaded');
        s.onerror = () => resolve('blocked');
        document.head.append(s);
      });
      return { readIndex, callApi, script };
    }, target);
    expect(probe.readIndex).toBe('blocked');
    // The page's own CSP (connect-src 'self') stops it; were it absent, the server would answer 403.
    expect(probe.callApi).toBe('blocked');
    expect(probe.script).toBe('blocked');
  });
});

describe('npm run web: the command line', () => {
  const cli = join(root, 'web', 'cli.ts');

  function runCli(args: string[], env: Record<string, string> = {}) {
    return spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  async function output(child: ReturnType<typeof runCli>): Promise<{ code: number | null; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, stdout, stderr };
  }

  it('prints its URL when ready, serves the page, and stops cleanly on SIGTERM', async () => {
    const rendererDir = tempDir('desk-renderer-');
    writeMinimalRenderer(rendererDir);
    const dataDir = tempDir('desk-web-cli-');
    try {
      const child = runCli(['--data', dataDir, '--port', '0', '--demo', '12', '--agent', 'Moussa Traoré'], { DESK_RENDERER_DIR: rendererDir });
      const done = output(child);
      const url = await new Promise<string>((resolve, reject) => {
        let seen = '';
        child.stdout!.on('data', (c: Buffer) => {
          seen += c.toString();
          const match = /^Notification Desk \(web\) : (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(seen);
          if (match) resolve(match[1]!);
        });
        child.on('exit', (code) => reject(new Error(`CLI exited (${code}) before printing its URL: ${seen}`)));
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      const secret = /name="desk-secret" content="([0-9a-f]+)"/.exec(await page.text())?.[1];
      const settings = (await (
        await fetch(`${url}desk/api/getSettings`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-desk-secret': secret! }, body: '{}' })
      ).json()) as Result<Settings>;
      expect(settings.ok && settings.value.agent?.name).toBe('Moussa Traoré');
      expect(settings.ok && settings.value.clientCount).toBe(12);
      child.kill('SIGTERM');
      const result = await done;
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
    } finally {
      rmSync(rendererDir, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('says clearly that the interface is not built, and exits 1', async () => {
    const dataDir = tempDir('desk-web-cli-');
    try {
      const result = await output(runCli(['--data', dataDir, '--port', '0'], { DESK_RENDERER_DIR: join(dataDir, 'no-renderer') }));
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/electron-vite build/);
      expect(result.stdout).toBe('');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a second bridge on the same data folder, and takes over a lock its dead owner left', async () => {
    const rendererDir = tempDir('desk-renderer-');
    writeMinimalRenderer(rendererDir);
    const dataDir = tempDir('desk-web-cli-');
    try {
      const first = await startWebServer({ dataDir, port: 0, rendererDir });
      const second = await output(runCli(['--data', dataDir, '--port', '0'], { DESK_RENDERER_DIR: rendererDir }));
      await first.close();
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`Ce dossier de données est déjà utilisé par une autre instance (npm run web, pid ${process.pid})`);
      expect(second.stdout).toBe('');

      // A bridge killed with SIGKILL leaves its lock behind: the next start takes it over.
      const dead = spawn(process.execPath, ['-e', '']);
      await once(dead, 'exit');
      writeFileSync(join(dataDir, lockFileName), JSON.stringify({ pid: dead.pid, since: new Date().toISOString() }));
      const again = await startWebServer({ dataDir, port: 0, rendererDir });
      await again.close();
    } finally {
      rmSync(rendererDir, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses bad options with the usage, and exits 1', async () => {
    for (const args of [[], ['--data', '/tmp/x', '--demo', 'beaucoup'], ['--data', '/tmp/x', '--port', '70000'], ['--data', '/tmp/x', '--verbose']]) {
      const result = await output(runCli(args));
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr, args.join(' ')).toMatch(/Usage : npm run web/);
    }
  });
});
