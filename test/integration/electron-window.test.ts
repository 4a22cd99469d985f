// The agent's window and the app's lifecycle: security options, a page that cannot leave itself or
// open anything, no browser permission ever granted, one instance per user.

import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('../helpers/fake-electron.ts')).electronModule);

import { contentSecurityPolicy, frameAncestors } from '../../contract/csp.ts';
import { resolveAppPage } from '../../main/app-page.ts';
import { databaseFileName, startDesktopApp, type DesktopApp } from '../../main/app.ts';
import { developmentCsp } from '../../main/hardening.ts';
import { fake, resetFakeElectron, type FakeBrowserWindow } from '../helpers/fake-electron.ts';
import { tempDir } from '../helpers/local-db.ts';

let dir: string;
let desktop: DesktopApp | null;

async function start(devServerUrl?: string): Promise<FakeBrowserWindow> {
  desktop = await startDesktopApp({ mainDir: join(dir, 'out', 'main'), devServerUrl });
  const window = fake.state.windows[0];
  if (!desktop || !window) throw new Error('the app did not open its window');
  return window;
}

beforeEach(() => {
  resetFakeElectron();
  dir = tempDir('desk-window-');
  fake.app.userDataDir = dir;
  desktop = null;
});

afterEach(async () => {
  if (desktop && !fake.app.quitted) {
    fake.app.quit();
    await desktop.closed;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('window', () => {
  it('is sandboxed, isolated, without Node, webviews or spellcheck, with the bundled preload', async () => {
    const window = await start();
    const prefs = window.options.webPreferences;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      experimentalFeatures: false,
      disableBlinkFeatures: 'Auxclick',
    });
    expect(prefs.preload).toBe(join(dir, 'out', 'preload', 'index.cjs'));
    expect(window.options.title).toBe('Notification Desk');
    expect(window.visible).toBe(true);
  });

  it('stays on the app page: navigation and redirects elsewhere are prevented', async () => {
    const window = await start();
    const contents = window.webContents;
    const page = 'app://desk/index.html';
    for (const eventName of ['will-navigate', 'will-redirect', 'will-frame-navigate']) {
      expect(contents.dispatchPreventable(eventName, 'https://evil.example/')).toBe(true);
      expect(contents.dispatchPreventable(eventName, 'file:///etc/passwd')).toBe(true);
      // The bundled file itself by file:// is not the app any more: only app://desk/ is.
      expect(contents.dispatchPreventable(eventName, pathToFileURL(join(dir, 'out', 'renderer', 'index.html')).href)).toBe(true);
      expect(contents.dispatchPreventable(eventName, `${page}/../other.html`)).toBe(true);
      expect(contents.dispatchPreventable(eventName, 'app://desk/assets/index.js')).toBe(true);
      expect(contents.dispatchPreventable(eventName, 'app://evil/index.html')).toBe(true);
      expect(contents.dispatchPreventable(eventName, 'app://desk:8080/index.html')).toBe(true);
      expect(contents.dispatchPreventable(eventName, 'app://user@desk/index.html')).toBe(true);
      expect(contents.dispatchPreventable(eventName, 'javascript:alert(1)')).toBe(true);
      expect(contents.dispatchPreventable(eventName, `${page}#/clients/C-001`)).toBe(false);
    }
  });

  it('hands tel: and wa.me links to the OS after checks, and nothing else', async () => {
    const contents = (await start()).webContents;
    expect(contents.dispatchPreventable('will-navigate', 'tel:+33612345678')).toBe(true); // never inside the window
    expect(contents.windowOpenHandler?.({ url: 'https://wa.me/33612345678' })).toEqual({ action: 'deny' });
    expect(contents.dispatchPreventable('will-navigate', 'tel:0612345678')).toBe(true);
    for (const refused of [
      'tel:+33612345678;ext=1',
      'tel:javascript:alert(1)',
      'tel:',
      'https://wa.me/33612345678?text=bonjour',
      'https://wa.me/33612345678/extra',
      'https://user@wa.me/33612345678',
      'https://wa.me:444/33612345678',
      'https://wa.me.evil.example/33612345678',
      'http://wa.me/33612345678',
      'https://evil.example/',
      'file:///etc/passwd',
      'mailto:a@b.fr',
    ]) {
      contents.dispatchPreventable('will-navigate', refused);
      contents.windowOpenHandler?.({ url: refused });
    }
    expect(fake.state.openedExternally).toEqual(['tel:+33612345678', 'https://wa.me/33612345678', 'tel:0612345678']);
    // A redirect is not the agent's click: nothing is opened for it.
    contents.dispatchPreventable('will-redirect', 'tel:+33612345678');
    expect(fake.state.openedExternally).toHaveLength(3);
  });

  it('opens no window and attaches no webview', async () => {
    const contents = (await start()).webContents;
    expect(contents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler?.({ url: pathToFileURL(join(dir, 'out', 'renderer', 'index.html')).href })).toEqual({
      action: 'deny',
    });
    expect(contents.dispatchPreventable('will-attach-webview', '')).toBe(true);
  });

  it('grants no permission, whatever is asked', async () => {
    await start();
    const session = fake.session;
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen']) {
      const granted = await new Promise<boolean>((resolve) => session.permissionRequestHandler?.(null, permission, resolve, {}));
      expect(granted, permission).toBe(false);
      expect(session.permissionCheckHandler?.(null, permission, 'file://', {}), permission).toBe(false);
    }
    expect(session.devicePermissionHandler?.({ deviceType: 'usb' })).toBe(false);
    const streams = await new Promise((resolve) => session.displayMediaRequestHandler?.({}, resolve));
    expect(streams).toBeNull();
  });

  it('serves the bundled page from app://desk/, a scheme registered privileged before ready, with its CSP as a header', async () => {
    const window = await start();
    expect(window.loadedUrl).toBe('app://desk/index.html');
    expect(fake.protocol.privileged).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);
    expect(fake.protocol.isProtocolHandled('app')).toBe(true);
    // Answered by the handler, not by a webRequest hook on every response.
    expect(fake.session.headersReceivedListener).toBeNull();
    const missing = await fake.protocol.fetch('app://desk/index.html');
    // This test's out/renderer is empty: a 404, still with the policy.
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-security-policy')).toBe(`${contentSecurityPolicy}; ${frameAncestors}`);
  });
});

describe('development server', () => {
  it('loads the dev server and sends a CSP header on its http responses', async () => {
    const window = await start('http://localhost:5173/');
    expect(window.loadedUrl).toBe('http://localhost:5173/');
    expect(fake.protocol.isProtocolHandled('app')).toBe(false);
    const listener = fake.session.headersReceivedListener;
    if (!listener) throw new Error('no header listener');
    const answer = await new Promise<{ responseHeaders?: Record<string, string[]> }>((resolve) =>
      listener({ url: 'http://localhost:5173/', responseHeaders: { 'content-security-policy': ['default-src *'] } }, resolve),
    );
    expect(answer.responseHeaders).toEqual({ 'Content-Security-Policy': [developmentCsp('http://localhost:5173/')] });
    const untouched = await new Promise((resolve) => listener({ url: 'file:///x', responseHeaders: {} }, resolve));
    expect(untouched).toEqual({});
  });

  it('loosens the production policy only for Vite (inline preamble and styles, its websocket)', () => {
    const dev = developmentCsp('http://localhost:5173/');
    expect(dev).toContain("script-src 'self' 'unsafe-inline'");
    expect(dev).toContain("style-src 'self' 'unsafe-inline'");
    expect(dev).toContain("connect-src 'self' ws://localhost:5173");
    const untouched = (policy: string) =>
      policy.split('; ').filter((d) => !/^(script|style|connect)-src /.test(d));
    expect(untouched(dev)).toEqual(untouched(`${contentSecurityPolicy}; ${frameAncestors}`));
  });

  it('is ignored by a packaged build', async () => {
    fake.app.isPackaged = true;
    const window = await start('http://localhost:5173/');
    expect(window.options.webPreferences.devTools).toBe(false);
    expect(window.loadedUrl).toBe('app://desk/index.html');
    expect(fake.session.headersReceivedListener).toBeNull();
  });

  it('recognises only its own origin as the app', () => {
    const page = resolveAppPage({ mainDir: '/x/out/main', isPackaged: false, devServerUrl: 'http://localhost:5173' });
    expect(page.isAppUrl('http://localhost:5173/#/settings')).toBe(true);
    expect(page.isAppUrl('http://localhost:5174/')).toBe(false);
    expect(page.isAppUrl('https://localhost:5173/')).toBe(false);
    expect(page.isAppUrl('not a url')).toBe(false);
  });
});

describe('single instance', () => {
  it('a second launch quits at once, opens no window and leaves the database alone', async () => {
    fake.app.singleInstanceLock = false;
    const started = await startDesktopApp({ mainDir: join(dir, 'out', 'main') });
    expect(started).toBeNull();
    expect(fake.app.quitCalls).toBe(1);
    expect(fake.state.windows).toHaveLength(0);
    expect(fake.ipcMain.handlers.size).toBe(0);
    expect(existsSync(join(dir, databaseFileName))).toBe(false);
  });

  it('the running instance brings its window forward when a second one starts', async () => {
    const window = await start();
    window.minimize();
    fake.app.emit('second-instance', {}, ['notification-desk'], dir, {});
    expect(window.isMinimized()).toBe(false);
    expect(window.focusCount).toBe(1);
    expect(fake.state.windows).toHaveLength(1);
  });
});
