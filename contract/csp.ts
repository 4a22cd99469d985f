// The renderer's Content Security Policy: nothing inline, nothing remote. renderer/index.html carries
// it as a <meta> (a test checks they are equal); main may also send it as a header for defence in depth.

export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');
