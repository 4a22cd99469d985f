// Smoke test of the real desktop app: the built bundles (npx electron-vite build) launched in Electron
// through Playwright, with a throw-away user data folder. Where the Electron binary is not installed
// (it cannot be downloaded on the build machine) the test is skipped and says why.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { _electron, type ElectronApplication } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');

/**
 * Where the `electron` package keeps its binary, without requiring the package: requiring it when
 * the binary is missing starts a download.
 */
function electronBinary(): { path: string } | { missing: string } {
  const packageDir = join(root, 'node_modules', 'electron');
  const pathFile = join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) {
    return { missing: `the Electron binary is not installed (${pathFile} is absent: the package was installed with ELECTRON_SKIP_BINARY_DOWNLOAD)` };
  }
  const relativePath = readFileSync(pathFile, 'utf8').trim();
  const distDir = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? join(packageDir, 'dist');
  const path = join(distDir, relativePath);
  return existsSync(path) ? { path } : { missing: `the Electron binary ${path} does not exist` };
}

const binary = electronBinary();
const skipReason = 'missing' in binary ? `SKIPPED: ${binary.missing}; run this test where Electron can be installed.` : null;
if (skipReason) console.warn(`[electron-app] ${skipReason}`);

describe('desktop app (Electron)', () => {
  let app: ElectronApplication | null = null;
  let userData: string | null = null;

  afterAll(async () => {
    await app?.close();
    if (userData) rmSync(userData, { recursive: true, force: true });
  });

  it('opens its window with window.desk and without Node in the page', async (ctx) => {
    if (skipReason || !('path' in binary)) {
      ctx.skip(skipReason ?? 'no Electron binary');
      return;
    }
    for (const built of ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html']) {
      expect(existsSync(join(root, built)), `${built} is missing: run npx electron-vite build first`).toBe(true);
    }
    userData = mkdtempSync(join(tmpdir(), 'desk-electron-e2e-'));
    const env = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && k !== 'ELECTRON_RENDERER_URL')) as Record<string, string>;
    app = await _electron.launch({
      executablePath: binary.path,
      // --no-sandbox only as root, where Chromium refuses its OS sandbox; the renderer stays
      // sandboxed in Electron's sense (no Node, sandboxed preload).
      args: [root, `--user-data-dir=${userData}`, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
      env,
      timeout: 60_000,
    });
    const window = await app.firstWindow();
    await window.waitForLoadState('domcontentloaded');

    expect(await window.title()).toContain('Notification Desk');
    const page = await window.evaluate(() => ({
      desk: typeof (window as unknown as { desk?: unknown }).desk,
      shell: (window as unknown as { desk?: { shell?: string } }).desk?.shell,
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (globalThis as unknown as { process?: unknown }).process,
      module: typeof (globalThis as unknown as { module?: unknown }).module,
    }));
    expect(page).toEqual({ desk: 'object', shell: 'electron', require: 'undefined', process: 'undefined', module: 'undefined' });

    const settings = await window.evaluate(() =>
      (window as unknown as { desk: { api: { getSettings(i: object): Promise<{ ok: boolean }> } } }).desk.api.getSettings({}),
    );
    expect(settings.ok).toBe(true);
    expect(existsSync(join(userData, 'notification-desk.db'))).toBe(true);
  });
});
