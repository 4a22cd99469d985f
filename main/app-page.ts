// Where the agent's page comes from, and how to recognise it: the one thing navigation guards and
// the IPC sender check need to agree on. Packaged builds only ever load the bundled page, served
// from app://desk/ (main/app-protocol.ts); the electron-vite dev server URL is honoured only when
// running unpackaged.

import { join } from 'node:path';
import { appHost, appPageUrl, appScheme } from './app-protocol.ts';

export interface AppPage {
  /** What the window loads. */
  readonly url: string;
  /** 'app' for the bundled page (app://desk/, out/renderer), 'dev-server' for electron-vite's http server. */
  readonly kind: 'app' | 'dev-server';
  /** The folder app://desk/ serves (out/renderer). */
  readonly rootDir: string;
  /** True when `url` is this app's own page (any in-page hash or query). */
  isAppUrl(url: string): boolean;
}

export interface AppPageSource {
  /** Folder of the built main bundle (out/main); the page and the preload sit next to it. */
  mainDir: string;
  isPackaged: boolean;
  devServerUrl?: string | undefined;
}

export function rendererDir(mainDir: string): string {
  return join(mainDir, '..', 'renderer');
}

export function rendererFile(mainDir: string): string {
  return join(rendererDir(mainDir), 'index.html');
}

export function preloadFile(mainDir: string): string {
  return join(mainDir, '..', 'preload', 'index.cjs');
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

export function resolveAppPage(source: AppPageSource): AppPage {
  const dev = !source.isPackaged && source.devServerUrl ? parse(source.devServerUrl) : null;
  if (dev && (dev.protocol === 'http:' || dev.protocol === 'https:')) {
    return {
      url: dev.href,
      kind: 'dev-server',
      rootDir: rendererDir(source.mainDir),
      isAppUrl: (url) => parse(url)?.origin === dev.origin,
    };
  }
  return {
    url: appPageUrl,
    kind: 'app',
    rootDir: rendererDir(source.mainDir),
    // The page itself only (any hash or query): not another file of the bundle, nor another host.
    isAppUrl: (url) => {
      const candidate = parse(url);
      return (
        candidate !== null &&
        candidate.protocol === `${appScheme}:` &&
        candidate.hostname === appHost &&
        candidate.port === '' &&
        candidate.username === '' &&
        candidate.password === '' &&
        (candidate.pathname === '/index.html' || candidate.pathname === '/')
      );
    },
  };
}
