// Why an attempt ended as it did: the reason list is data, not code. These are the defaults every
// desk knows; a site may send its own list (feature 'site.reasons', docs/sync-protocol.md), and a
// desk shows a code it does not know as it is, neutrally, never as an error. No zod here: the
// renderer reads the defaults without bundling the schemas (contract/reason-schema.ts has them).

import type { AttemptStatusCode } from './enums.ts';
import type { Locale } from './errors.ts';

/** A reason code: short, lower case, stable across languages (what is stored and synced). */
export const reasonCodePattern = /^[a-z0-9][a-z0-9._-]{0,39}$/;

/** What happens to the client's place in the queue after an attempt with this reason. */
export type RetryRule =
  /** Call again after this many minutes, while the client has fewer than maxAttempts failures. */
  | { kind: 'again'; afterMinutes: number; maxAttempts: number }
  /** Take the client out of the queue and flag the number (a wrong number, a refusal). */
  | { kind: 'stop'; flag: boolean };

export interface ReasonDefinition {
  code: string;
  /** The result it explains: offered in the picker for that result only. */
  status: AttemptStatusCode;
  label: Record<Locale, string>;
  retry: RetryRule;
}

export const defaultReasons: readonly ReasonDefinition[] = [
  { code: 'no-answer', status: 'failure', label: { fr: 'Pas de réponse', en: 'No answer' }, retry: { kind: 'again', afterMinutes: 120, maxAttempts: 5 } },
  { code: 'busy', status: 'failure', label: { fr: 'Occupé', en: 'Busy' }, retry: { kind: 'again', afterMinutes: 30, maxAttempts: 5 } },
  {
    code: 'voicemail-left',
    status: 'failure',
    label: { fr: 'Messagerie (message laissé)', en: 'Voicemail (message left)' },
    retry: { kind: 'again', afterMinutes: 240, maxAttempts: 5 },
  },
  {
    code: 'voicemail-none',
    status: 'failure',
    label: { fr: 'Messagerie (pas de message)', en: 'Voicemail (no message)' },
    retry: { kind: 'again', afterMinutes: 120, maxAttempts: 5 },
  },
  { code: 'wrong-number', status: 'failure', label: { fr: 'Faux numéro', en: 'Wrong number' }, retry: { kind: 'stop', flag: true } },
  {
    code: 'not-assigned',
    status: 'failure',
    label: { fr: 'Numéro non attribué', en: 'Number not assigned' },
    retry: { kind: 'stop', flag: true },
  },
  { code: 'refused', status: 'failure', label: { fr: 'Refus de l’échange', en: 'Refused to talk' }, retry: { kind: 'stop', flag: false } },
  { code: 'reached', status: 'success', label: { fr: 'Joint en personne', en: 'Reached in person' }, retry: { kind: 'stop', flag: false } },
  {
    code: 'relative',
    status: 'success',
    label: { fr: 'Message transmis à un proche', en: 'Message passed to a relative' },
    retry: { kind: 'stop', flag: false },
  },
];

/** A failure without a reason: tried again like "no answer". */
export const defaultFailureRetry: RetryRule = { kind: 'again', afterMinutes: 120, maxAttempts: 5 };

/** The label of a code in a list, or the code itself when the list does not know it (a newer site's). */
export function reasonLabel(reasons: readonly ReasonDefinition[], code: string, locale: Locale): string {
  return reasons.find((r) => r.code === code)?.label[locale] ?? code;
}
