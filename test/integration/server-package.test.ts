// The server installs on its own, built the way server/Dockerfile builds it: in a clean folder
// holding only the manifests, contract/, db/ and server/ (the Dockerfile's COPY lines), `npm ci` of
// the server workspace then `npm pack`; the tarball, installed into an empty folder with
// production dependencies only (the Dockerfile's second stage, and the systemd guide in
// docs/deploy-server.md), runs its admin commands and serves a desk that syncs with the real
// engine, on SQLite and on PostgreSQL. The image itself cannot be built here (no registry for base
// images): this test runs its commands, and checks that the Dockerfile still says them.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/local-db.ts';
import { createPostgresDatabase, postgresUnavailableReason, type TestDatabase } from '../helpers/server.ts';
import { TestDevice } from '../helpers/sync-device.ts';

const root = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const pgReason = await postgresUnavailableReason();
if (pgReason) console.warn(`[skip] packaged server on PostgreSQL skipped: ${pgReason}`);

/** npm, as an administrator runs it (the one on PATH). */
function npm(args: string[], cwd: string) {
  return run('npm', args, { cwd, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });
}

interface Started {
  url: string;
  child: ChildProcess;
  lines: string[];
}

function startPackaged(bin: string, db: string): Promise<Started> {
  // The overload guard off, as in test/helpers/server.ts: a CPU-starved test machine is not an overloaded server.
  const child = spawn(process.execPath, [bin, '--db', db, '--port', '0', '--max-event-loop-delay-ms', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolveStarted, reject) => {
    const timer = setTimeout(() => reject(new Error(`packaged server did not start: ${stderr}`)), 30_000);
    let url: string | null = null;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      url ??= /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1] ?? null;
      if (url && line.includes('Notification Desk server ready')) {
        clearTimeout(timer);
        resolveStarted({ url, child, lines });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`packaged server exited with ${code}: ${stderr}`));
    });
  });
}

function stop(started: Started | null): Promise<void> {
  return new Promise((done) => {
    if (!started || started.child.exitCode !== null || started.child.signalCode !== null) return done();
    started.child.once('exit', () => done());
    started.child.kill('SIGTERM');
  });
}

describe('the server package, packed and installed with production dependencies only', () => {
  const work = tempDir('desk-server-pack-');
  const installDir = join(work, 'install');
  let bin: string;
  const running: Started[] = [];
  let pgDatabase: TestDatabase | null = null;

  // The Dockerfile's RUN commands, run here as they are written there.
  const stageInstall = ['ci', '--workspace=@notification-desk/server', '--include-workspace-root=false', '--no-audit', '--no-fund'];
  const stagePack = ['pack', '--pack-destination'];
  const productionInstall = ['install', '--omit=dev', '--no-audit', '--no-fund', '--no-package-lock'];

  beforeAll(async () => {
    const stage = join(work, 'src');
    mkdirSync(join(stage, 'server'), { recursive: true });
    for (const file of ['package.json', 'package-lock.json', 'server/package.json']) cpSync(join(root, file), join(stage, file));
    await npm(stageInstall, stage);
    const sources = (source: string) => !/\/(node_modules|dist)(\/|$)/.test(source);
    for (const folder of ['contract', 'db', 'server']) cpSync(join(root, folder), join(stage, folder), { recursive: true, filter: sources });
    const packed = await npm([...stagePack, work, '--json'], join(stage, 'server'));
    const [{ filename, files }] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
    // Only the bundle, the manifest and the README travel: no TypeScript sources, no tests.
    expect(files.map((f) => f.path).sort()).toEqual([
      'README.md',
      'dist/assets/console.css',
      'dist/assets/favicon.svg',
      'dist/assets/journal-live.js',
      'dist/cli.js',
      'dist/cli.js.map',
      'dist/index.js',
      'dist/index.js.map',
      'package.json',
    ]);
    mkdirSync(installDir);
    writeFileSync(join(installDir, 'package.json'), JSON.stringify({ name: 'desk-server-install', private: true }));
    await npm([...productionInstall, join(work, filename)], installDir);
    bin = join(installDir, 'node_modules/.bin/notification-desk-server');
  }, 240_000);
  afterAll(async () => {
    await Promise.all(running.map((s) => stop(s)));
    await pgDatabase?.drop();
  });

  it('is what server/Dockerfile builds: same commands, same folders copied, non-root, with a health check', () => {
    const dockerfile = readFileSync(join(root, 'server/Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`RUN npm ${stageInstall.join(' ')}`);
    expect(dockerfile).toContain(`RUN cd server && npm ${stagePack.join(' ')} /pack`);
    expect(dockerfile).toContain(`RUN npm ${productionInstall.join(' ')} /tmp/pack/notification-desk-server-*.tgz`);
    for (const copied of ['COPY package.json package-lock.json ./', 'COPY server/package.json server/', 'COPY contract/ contract/', 'COPY db/ db/', 'COPY server/ server/']) {
      expect(dockerfile).toContain(copied);
    }
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/health\/live/m);
    expect(dockerfile).toContain('ENTRYPOINT ["/opt/notification-desk/node_modules/.bin/notification-desk-server"]');
    // The bundle reads nothing of the repository beyond the folders the Dockerfile copies.
    const map = JSON.parse(readFileSync(join(installDir, 'node_modules/@notification-desk/server/dist/cli.js.map'), 'utf8')) as { sources: string[] };
    const outside = map.sources.filter((source) => !/^\.\.\/(\.\.\/(contract|db)\/|[^./][^/]*\.ts$|(storage|console)\/)/.test(source));
    expect(outside).toEqual([]);
  });

  it('holds no development dependency and nothing of the repository outside its bundle', () => {
    const installed = readFileSync(join(installDir, 'node_modules/@notification-desk/server/package.json'), 'utf8');
    expect(JSON.parse(installed).bin['notification-desk-server']).toBe('dist/cli.js');
    for (const devOnly of ['vitest', 'typescript', 'esbuild', 'electron', 'react', 'tsx']) {
      expect(existsSync(join(installDir, 'node_modules', devOnly)), devOnly).toBe(false);
    }
    const bundle = readFileSync(join(installDir, 'node_modules/@notification-desk/server/dist/cli.js'), 'utf8');
    expect(bundle).not.toMatch(/from ["']\.\.?\//);
  });

  it('runs its admin commands and serves a desk that syncs with the real engine (SQLite)', { timeout: 120_000 }, async () => {
    const db = join(work, 'server.db');
    const created = await run(process.execPath, [bin, 'admin', 'create-agent', '--db', db, '--name', 'Awa Diallo']);
    const token = /^(ndk_\S+)$/m.exec(created.stdout)?.[1];
    expect(token, created.stdout).toBeTruthy();
    const imported = await run(process.execPath, [bin, 'admin', 'import-clients', '--db', db, join(root, 'test/fixtures/clients-sample.csv')]);
    expect(imported.stdout).toMatch(/clients ajoutés/);

    const server = await startPackaged(bin, db);
    running.push(server);
    const device = await TestDevice.create();
    try {
      await device.enrol(server.url, token!);
      const first = await device.sync();
      expect(first.pull.clients).toBeGreaterThan(0);
      const [client] = await device.local.db.selectFrom('clients').select('code').limit(1).execute();
      await device.click(client!.code, 'success', 'Installé depuis le paquet');
      const second = await device.sync();
      expect(second.push).toMatchObject({ applied: 1, rejected: 0 });
      expect((await device.snapshot()).outbox).toEqual({ pending: 0, dead: 0 });
    } finally {
      await device.cleanup();
    }
    const metrics = await fetch(`${server.url}/metrics`);
    expect(metrics.status).toBe(200);
    // The supervision console ships built: its sign-in page and the assets it reads at start.
    const signIn = await fetch(`${server.url}/console/sign-in`);
    expect(signIn.status).toBe(200);
    expect(await signIn.text()).toContain('Se connecter');
    const css = await fetch(`${server.url}/console/assets/console.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
    const live = await fetch(`${server.url}/console/assets/journal-live.js`);
    expect(live.status).toBe(200);
    expect(live.headers.get('content-type')).toContain('text/javascript');
  });

  it('from a checkout, `npm ci --omit=dev` of the server workspace alone runs `node server/cli.ts`', { timeout: 120_000 }, async () => {
    const checkout = join(work, 'checkout');
    mkdirSync(join(checkout, 'server'), { recursive: true });
    for (const file of ['package.json', 'package-lock.json']) cpSync(join(root, file), join(checkout, file));
    const sources = (source: string) => !/\/(node_modules|dist)(\/|$)/.test(source);
    for (const folder of ['contract', 'db', 'server']) cpSync(join(root, folder), join(checkout, folder), { recursive: true, filter: sources });
    await npm(['ci', '--omit=dev', '--workspace=@notification-desk/server', '--include-workspace-root=false', '--no-audit', '--no-fund'], checkout);
    for (const devOnly of ['esbuild', 'tsx', 'vitest', 'electron']) expect(existsSync(join(checkout, 'node_modules', devOnly)), devOnly).toBe(false);
    const server = await startPackaged(join(checkout, 'server/cli.ts'), join(checkout, 'server.db'));
    running.push(server);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it.skipIf(pgReason !== null)('starts on PostgreSQL and answers /health', { timeout: 60_000 }, async () => {
    pgDatabase = await createPostgresDatabase();
    const migrated = await run(process.execPath, [bin, 'migrate', '--db', pgDatabase.url]);
    expect(migrated.stdout).toMatch(/0001_initial/);
    const server = await startPackaged(bin, pgDatabase.url);
    running.push(server);
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
  });
});
