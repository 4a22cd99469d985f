// What a page may log without it being a bug. Chromium warns, as a console error, that a CSP
// delivered by <meta> cannot carry frame-ancestors; the renderer's policy keeps it for Electron's
// sake, and `npm run web` sends frame-ancestors as a real header, so the warning is expected.

const expectedNoise = [/The Content Security Policy directive 'frame-ancestors' is ignored when delivered via a <meta> element/];

export function unexpectedPageErrors(messages: string[]): string[] {
  return messages.filter((m) => !expectedNoise.some((pattern) => pattern.test(m)));
}
