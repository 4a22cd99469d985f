// The built renderer, served as files: the right content types, nothing outside out/renderer, and
// index.html carrying this run's secret and the bridge script.

import { readFile, stat } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { bundleContentType } from '../contract/bundle-content-types.ts';

export function contentTypeOf(file: string): string | null {
  return bundleContentType(extname(file));
}

export interface StaticFile {
  body: Buffer;
  contentType: string;
}

/**
 * Maps a URL path to a file under `root`, or null. Refuses encoded separators, NUL bytes, dot files
 * and anything that resolves outside the root, and serves only the types listed above.
 */
export async function readStaticFile(root: string, urlPath: string): Promise<StaticFile | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s.length > 0);
  if (segments.some((s) => s.startsWith('.'))) return null;
  const file = resolve(root, ...segments);
  const inside = relative(root, file);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) return null;
  const contentType = contentTypeOf(file);
  if (!contentType) return null;
  try {
    const info = await stat(file);
    if (!info.isFile()) return null;
    return { body: await readFile(file), contentType };
  } catch {
    return null;
  }
}

export const bridgeScriptPath = '/desk-bridge.js';

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Adds the secret and the bridge before </head>, after the page's own CSP meta so the policy governs
 * the bridge too. A classic script runs while the page is parsed, before the deferred module app.
 */
export function injectBridge(html: string, secret: string): string {
  const tags = `<meta name="desk-secret" content="${escapeAttribute(secret)}">\n    <script src="${bridgeScriptPath}"></script>\n  `;
  const at = html.search(/<\/head\s*>/i);
  if (at < 0) throw new Error('out/renderer/index.html has no </head>: cannot inject the web bridge.');
  return html.slice(0, at) + tags + html.slice(at);
}
