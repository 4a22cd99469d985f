// Where the agent's page comes from, and how to recognise it: the one thing navigation guards and
// the IPC sender check need to agree on. Packaged builds only ever load the bundled file; the
// electron-vite dev server URL is honoured only when running unpackaged.

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface AppPage {
  /** What the window loads. */
  readonly url: string;
  /** 'file' for the bundled page, 'dev-server' for electron-vite's http server. */
  readonly kind: 'file' | 'dev-server';
  /** True when `url` is this app's own page (any in-page hash or query). */
  isAppUrl(url: string): boolean;
}

export interface AppPageSource {
  /** Folder of the built main bundle (out/main); the page and the preload sit next to it. */
  mainDir: string;
  isPackaged: boolean;
  devServerUrl?: string | undefined;
}

export function rendererFile(mainDir: string): string {
  return join(mainDir, '..', 'renderer', 'index.html');
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
      isAppUrl: (url) => parse(url)?.origin === dev.origin,
    };
  }
  const page = pathToFileURL(rendererFile(source.mainDir));
  return {
    url: page.href,
    kind: 'file',
    isAppUrl: (url) => {
      const candidate = parse(url);
      return candidate !== null && candidate.protocol === 'file:' && candidate.host === page.host && samePath(candidate.pathname, page.pathname);
    },
  };
}

/** Windows paths are case-insensitive and may differ in percent-encoding of the same character. */
function samePath(a: string, b: string): boolean {
  const norm = (p: string) => {
    const decoded = safeDecode(p);
    return process.platform === 'win32' ? decoded.toLowerCase() : decoded;
  };
  return norm(a) === norm(b);
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
