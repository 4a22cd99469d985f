// Zod's face of the reason list (contract/reasons.ts): what a site's own list must look like when a
// server sends it, and what a stored reason code is.

import { z } from 'zod';
import { attemptStatuses } from './enums.ts';
import { reasonCodePattern } from './reasons.ts';
import { text } from './text-schema.ts';

export const reasonCodeSchema = text().regex(reasonCodePattern, 'reason code: a-z, 0-9, . _ - (at most 40)');

const retryRuleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('again'), afterMinutes: z.int().min(1).max(60 * 24 * 60), maxAttempts: z.int().min(1).max(100) }),
  z.strictObject({ kind: z.literal('stop'), flag: z.boolean() }),
]);

export const reasonDefinitionSchema = z.strictObject({
  code: reasonCodeSchema,
  status: z.enum(attemptStatuses),
  label: z.strictObject({ fr: text().min(1).max(80), en: text().min(1).max(80) }),
  retry: retryRuleSchema,
});

/** A site's list: codes unique, at most 50 reasons. */
export const reasonListSchema = z
  .array(reasonDefinitionSchema)
  .min(1)
  .max(50)
  .refine((list) => new Set(list.map((r) => r.code)).size === list.length, 'reason codes must be unique');
