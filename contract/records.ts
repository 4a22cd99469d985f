// Attempts and voids as they travel: in the outbox, over the sync protocol, into other devices.
// Immutable facts; the same record applied twice changes nothing.

import { z } from 'zod';
import { limits } from './operations.ts';

const iso = z.iso.datetime({ offset: false, precision: 3 });

export const attemptRecordSchema = z.strictObject({
  id: z.uuid(),
  clientCode: z.string().min(1).max(limits.clientCode),
  agentId: z.string().min(1).max(64),
  agentName: z.string().min(1).max(limits.agentName),
  occurredAt: iso,
  utcOffsetMin: z.int().min(-840).max(840),
  status: z.enum(['success', 'failure']),
  channel: z.string().min(1).max(limits.channel),
  note: z.string().max(limits.note).nullable(),
  deviceId: z.string().min(1).max(64),
});
export type AttemptRecord = z.infer<typeof attemptRecordSchema>;

export const voidRecordSchema = z.strictObject({
  attemptId: z.uuid(),
  agentId: z.string().min(1).max(64),
  agentName: z.string().min(1).max(limits.agentName),
  voidedAt: iso,
  utcOffsetMin: z.int().min(-840).max(840),
  reason: z.string().min(1).max(limits.reason),
  kind: z.enum(['undo', 'void']),
  deviceId: z.string().min(1).max(64),
});
export type VoidRecord = z.infer<typeof voidRecordSchema>;
