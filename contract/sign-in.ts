// Agents signing in on a shared desk (issue 9): the rules both sides apply to a login and a secret.
// No zod here: the renderer reads these without bundling the schemas.

import type { AgentSecretKind } from './enums.ts';
import { limits } from './limits.ts';

/**
 * The one spelling of a login: NFC, trimmed, lower case (a full case fold for the scripts agents use),
 * so "Élodie", "élodie" and "E\u0301lodie" are one login, on the server and in a desk's list alike.
 */
export function normaliseLogin(login: string): string {
  return login.normalize('NFC').trim().toLocaleLowerCase('und').normalize('NFC');
}

export type SecretRuleIssue = 'pin.format' | 'password.length';

/**
 * What a new secret must be, per the site's kind: a PIN of 6 to 12 ASCII digits, or a password of 12 to
 * 128 characters of any kind (OWASP: length, no composition rules; counted in code points). Null when it
 * passes. Sign-in itself never applies this: a wrong-length secret is simply a wrong secret.
 */
export function secretRuleIssue(kind: AgentSecretKind, secret: string): SecretRuleIssue | null {
  if (kind === 'pin') {
    return new RegExp(`^[0-9]{${limits.agentPinMin},${limits.agentPinMax}}$`).test(secret) ? null : 'pin.format';
  }
  const length = [...secret].length;
  return length >= limits.agentPasswordMin && length <= limits.agentPasswordMax ? null : 'password.length';
}
