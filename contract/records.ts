// Attempts and voids as they travel: in the outbox, over the sync protocol, into other devices.
// Immutable facts; the same record applied twice changes nothing.

import { z } from 'zod';
import { agentEventKinds, attemptStatuses, callbackEvents, voidKinds } from './enums.ts';
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

/**
 * One event of a call-back: scheduled (when, for whom: an agent, or null for the whole team), done
 * by an attempt, or cancelled. Events are facts; a call-back's state is read from them. `id` is the
 * event's own id, `callbackId` the call-back's (the id of its 'scheduled' event).
 */
export const callbackRecordSchema = z
  .strictObject({
    id: z.uuid(),
    callbackId: z.uuid(),
    event: z.enum(callbackEvents),
    clientCode: text().min(1).max(limits.clientCode),
    dueAt: iso.nullable(),
    forAgentId: text().min(1).max(64).nullable(),
    attemptId: z.uuid().nullable(),
    agentId: text().min(1).max(64),
    agentName: text().min(1).max(limits.agentName),
    at: iso,
    utcOffsetMin: z.int().min(-840).max(840),
    deviceId: text().min(1).max(64),
  })
  .refine((r) => (r.event === 'scheduled') === (r.dueAt !== null), { message: 'dueAt: given for scheduled, and only then', path: ['dueAt'] })
  .refine((r) => r.event !== 'scheduled' || r.callbackId === r.id, { message: 'callbackId: a scheduled event names itself', path: ['callbackId'] })
  .refine((r) => r.event === 'done' || r.attemptId === null, { message: 'attemptId: only a done event has one', path: ['attemptId'] });
export type CallbackRecord = z.infer<typeof callbackRecordSchema>;

/**
 * Who was at a desk's keyboard (feature 'record.agentEvent'): a sign-in, sign-out, lock, unlock or failed
 * sign-in, as the desk saw it. Pushed with the device token (or an agent's), kept append-only by the
 * server (idempotent on `id`, a uuid v7), never pulled back to other desks. `agentId` and `login` are
 * null when nobody could be named (a failed sign-in with an unknown login keeps only what was typed, in
 * `login`, bounded). `offline`: the desk decided it alone (offline verifier), the server was not asked.
 */
export const agentEventRecordSchema = z.strictObject({
  id: z.uuid(),
  agentId: text().min(1).max(64).nullable(),
  login: text().max(limits.login).nullable(),
  deviceId: text().min(1).max(64),
  kind: z.enum(agentEventKinds),
  offline: z.boolean(),
  at: iso,
});
export type AgentEventRecord = z.infer<typeof agentEventRecordSchema>;

/**
 * A server agent as the desks need to know it (feature 'record.agentState', pulled only): sent whenever
 * the agent is created, renamed, disabled or re-enabled, the latest standing. `login` is null for an
 * agent made before logins existed (it cannot sign in until one is set). A desk forgets the offline
 * verifier and the token of a disabled agent.
 */
export const agentStateRecordSchema = z.strictObject({
  agentId: text().min(1).max(64),
  login: text().min(1).max(limits.login).nullable(),
  name: text().min(1).max(limits.agentName),
  disabled: z.boolean(),
  at: iso,
});
export type AgentStateRecord = z.infer<typeof agentStateRecordSchema>;
