// The content type of each kind of file the built renderer holds, by extension: one list for the two
// places that serve the bundle (Electron's app:// protocol, main/app-protocol.ts, and the web bridge,
// web/static-files.ts). A file of another kind is served as opaque bytes, never sniffed.

export const bundleContentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

/** The content type of a bundle file named `extension` (with its dot, any case), or null. */
export function bundleContentType(extension: string): string | null {
  return bundleContentTypes[extension.toLowerCase()] ?? null;
}
