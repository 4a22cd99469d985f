// Access tokens: 32 random bytes, shown once, stored only as their sha256. A plain hash (no salt,
// no slow KDF) is enough because the token is random, not a password someone chose.

import { createHash, randomBytes } from 'node:crypto';

export const tokenPrefixLength = 12;

export function newToken(): string {
  return `ndk_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function tokenPrefix(token: string): string {
  return token.slice(0, tokenPrefixLength);
}

/** The token in an Authorization header, or null when there is none. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? '';
}
