// The bundled page is served from `app://desk/`, a scheme of our own answered by protocol.handle,
// instead of file://. A file:// page can read any file the user can (fetch, <img>, iframes) unless
// the grantFileProtocolExtraPrivileges fuse is off, and its origin is shared by every file on disk;
// app://desk is one origin holding only out/renderer, with its CSP sent as a header (which can say
// frame-ancestors, a <meta> cannot). Kept free of `electron` imports so the handler runs under Node.

import { realpath, readFile } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { bundleContentType } from '../contract/bundle-content-types.ts';
import { contentSecurityPolicy, frameAncestors } from '../contract/csp.ts';

export const appScheme = 'app';
export const appHost = 'desk';
export const appPageUrl = `${appScheme}://${appHost}/index.html`;

/**
 * Registered before the app is ready (Electron's rule). standard: relative URLs and origins work as
 * for https; secure: a secure context (no mixed-content downgrade); supportFetchAPI: the page's own
 * fetch of its assets. No bypassCSP, no corsEnabled: nothing else may read from it.
 */
export const appSchemePrivileges = {
  scheme: appScheme,
  privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
} as const;

/** Headers on every answer, errors included. */
export function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': `${contentSecurityPolicy}; ${frameAncestors}`,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    // The bundle changes with each update; a stale cached script would not match its page.
    'Cache-Control': 'no-cache',
  };
}

function answer(status: number, text: string): Response {
  return new Response(text, { status, headers: { ...securityHeaders(), 'Content-Type': 'text/plain; charset=utf-8' } });
}

/** Is `file` inside `root` (both resolved)? */
function inside(root: string, file: string): boolean {
  const rel = relative(root, file);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/**
 * The handler for protocol.handle(appScheme, …): files of `rootDir` only, read-only (GET/HEAD),
 * '/' is the page. A path that leaves the folder — `..`, encoded `%2e%2e%2f`, a backslash, a NUL, a
 * symbolic link pointing out — is refused with 403 before anything is read.
 */
export function createAppRequestHandler(rootDir: string): (request: Request) => Promise<Response> {
  const root = resolve(rootDir);
  return async (request) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return answer(400, 'Bad request');
    }
    if (url.protocol !== `${appScheme}:` || url.hostname !== appHost) return answer(404, 'Not found');
    if (request.method !== 'GET' && request.method !== 'HEAD') return answer(405, 'Method not allowed');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      return answer(400, 'Bad request');
    }
    if (path.includes('\0') || path.includes('\\') || path.split('/').includes('..')) return answer(403, 'Forbidden');
    if (path === '/' || path === '') path = '/index.html';
    const file = resolve(join(root, path));
    if (!inside(root, file)) return answer(403, 'Forbidden');
    let body: Buffer;
    try {
      // A link inside the bundle that points out of it is refused like a `..`.
      const real = await realpath(file);
      if (!inside(await realpath(root), real)) return answer(403, 'Forbidden');
      body = await readFile(real);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return answer(404, 'Not found');
      return answer(500, 'Cannot read the file');
    }
    const headers = {
      ...securityHeaders(),
      'Content-Type': bundleContentType(extname(file)) ?? 'application/octet-stream',
      'Content-Length': String(body.byteLength),
    };
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
  };
}
