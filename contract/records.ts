// Attempts and voids as they travel: in the outbox, over the sync protocol, into other devices.
// Immutable facts; the same record applied twice changes nothing.

import { z } from 'zod';
import { attemptStatuses, voidKinds } from './enums.ts';
import { limits } from './limits.ts';
import { reasonCodeSchema } from './reason-schema.ts';
import { text } from './text-schema.ts';

const iso = z.iso.datetime({ offset: false, precision: 3 });

export const attemptRecordSchema = z.strictObject({
  id: z.uuid(),
  clientCode: text().min(1).max(limits.clientCode),
  agentId: text().min(1).max(64),
  agentName: text().min(1).max(limits.agentName),
  occurredAt: iso,
  utcOffsetMin: z.int().min(-840).max(840),
  status: z.enum(attemptStatuses),
  channel: text().min(1).max(limits.channel),
  note: text().max(limits.note).nullable(),
  deviceId: text().min(1).max(64),
});
export type AttemptRecord = z.infer<typeof attemptRecordSchema>;

export const voidRecordSchema = z.strictObject({
  attemptId: z.uuid(),
  agentId: text().min(1).max(64),
  agentName: text().min(1).max(limits.agentName),
  voidedAt: iso,
  utcOffsetMin: z.int().min(-840).max(840),
  reason: text().min(1).max(limits.reason),
  kind: z.enum(voidKinds),
  deviceId: text().min(1).max(64),
});
export type VoidRecord = z.infer<typeof voidRecordSchema>;

/**
 * Why an attempt ended as it did, given by its author before the click or within the undo window.
 * Its own record, never a change to the attempt (attempts are append-only): at most one per attempt,
 * and the first one stands.
 */
export const reasonRecordSchema = z.strictObject({
  attemptId: z.uuid(),
  code: reasonCodeSchema,
  agentId: text().min(1).max(64),
  agentName: text().min(1).max(limits.agentName),
  chosenAt: iso,
  utcOffsetMin: z.int().min(-840).max(840),
  deviceId: text().min(1).max(64),
});
export type ReasonRecord = z.infer<typeof reasonRecordSchema>;
