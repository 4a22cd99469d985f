// The renderer's Content Security Policy: nothing inline, nothing remote. renderer/index.html carries
// it as a <meta> (a test checks they are equal); main may also send it as a header for defence in depth.
// frame-ancestors is not in it: Chromium ignores that directive in a <meta> (and says so on every
// load); only a header can carry it, so the servers that send headers add `frameAncestors`.

export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join('; ');

/** Header-only directive: no page of ours may be framed. */
export const frameAncestors = "frame-ancestors 'none'";
