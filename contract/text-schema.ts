// Zod's face of the text rule (contract/text.ts): every string that is stored goes through `text()`.

import { z } from 'zod';
import { isStorableText, unstorableCharacter } from './text.ts';

/** The issue code readers branch on (server: per-item rejection; desk: the form's message). */
export const unstorableTextIssue = 'text.unstorable';

/** A string that every store keeps exactly: no U+0000, no lone UTF-16 surrogate. */
export function text(): z.ZodString {
  return z.string().check(
    z.refine(isStorableText, {
      error: (issue) => `${unstorableTextIssue}: ${unstorableCharacter(String(issue.input)) ?? ''}`.trim(),
      abort: true,
    }),
  );
}
