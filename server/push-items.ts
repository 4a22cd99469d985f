// What a push carries, checked in two steps: the envelope as a whole (a request the server cannot
// read at all gets 422 body.invalid), then each item on its own. An item the server cannot take is
// rejected by itself, with its reason, and the rest of the batch is applied: a single record (a
// note with U+0000, a kind from a newer desk) must never block a device's outbox.

import type { z } from 'zod';
import { isOneOf, pushRecordKinds } from '../contract/enums.ts';
import {
  deviceReportSchema,
  protocolVersion,
  pushEnvelopeSchema,
  pushItemSchema,
  type DeviceReport,
  type PushItem,
  type PushItemResult,
} from '../contract/sync-protocol.ts';
import { unstorableTextIssue } from '../contract/text-schema.ts';
import { ProtocolFailure, itemError } from './failure.ts';

export type CheckedItem =
  /** carriedId: the id as the device sent it, echoed in the result so the device finds its entry. */
  | { ok: true; item: PushItem; carriedId: string }
  | { ok: false; result: PushItemResult };

export interface CheckedPush {
  deviceId: string;
  items: CheckedItem[];
  device?: DeviceReport;
  /** Why the device report that came with the push was ignored (for the log). */
  deviceReportRefused?: string;
}

/** The first issues of a failed parse, naming their fields (`items.0.record.status: …`). */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`)
    .join('; ');
}

/** Echoed ids are the device's own; anything longer than a uuid is not one, and is cut. */
const maxEchoedId = 64;

function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[name] : undefined;
}

function carriedId(raw: unknown): string {
  const record = field(raw, 'record');
  const kind = field(raw, 'kind');
  const id = kind === 'attempt' || kind === 'callback' || kind === 'agentEvent' ? (field(record, 'id') ?? field(record, 'attemptId')) : (field(record, 'attemptId') ?? field(record, 'id'));
  return typeof id === 'string' ? id.slice(0, maxEchoedId) : '';
}

function rejection(raw: unknown, code: 'record.invalid' | 'record.unsupported', details: string | { fr: string; en: string }): CheckedItem {
  const kind = field(raw, 'kind');
  return {
    ok: false,
    result: { kind: typeof kind === 'string' ? kind.slice(0, maxEchoedId) : '', id: carriedId(raw), outcome: 'rejected', error: itemError(code, details) },
  };
}

/** The reason an item is refused, in both languages when it is the text rule (field and character). */
function invalidDetails(error: z.ZodError): string | { fr: string; en: string } {
  const issue = error.issues[0]!;
  // Paths are relative to the item: 'record.note'; the field is what an agent can recognise.
  const path = issue.path.join('.') || 'item';
  const fieldName = issue.path[0] === 'record' && issue.path.length > 1 ? issue.path.slice(1).join('.') : path;
  if (issue.message.startsWith(unstorableTextIssue)) {
    const character = issue.message.slice(unstorableTextIssue.length).replace(/^:\s*/, '') || '?';
    return {
      fr: `champ « ${fieldName} » : le caractère ${character} ne peut pas être enregistré`,
      en: `field "${fieldName}": the character ${character} cannot be stored`,
    };
  }
  return `${path}: ${issue.message}`;
}

export function checkPushItem(raw: unknown): CheckedItem {
  const kind = field(raw, 'kind');
  if (typeof kind === 'string' && !isOneOf(pushRecordKinds, kind)) return rejection(raw, 'record.unsupported', `kind: ${kind.slice(0, maxEchoedId)}`);
  const parsed = pushItemSchema.safeParse(raw);
  if (!parsed.success) return rejection(raw, 'record.invalid', invalidDetails(parsed.error));
  const item = parsed.data;
  // A uuid is the same whatever its case: stored in lower case, as devices make them.
  const normalised: PushItem =
    item.kind === 'attempt'
      ? { kind: 'attempt', record: { ...item.record, id: item.record.id.toLowerCase() } }
      : item.kind === 'void'
        ? { kind: 'void', record: { ...item.record, attemptId: item.record.attemptId.toLowerCase() } }
        : item.kind === 'reason'
          ? { kind: 'reason', record: { ...item.record, attemptId: item.record.attemptId.toLowerCase() } }
          : item.kind === 'agentEvent'
            ? { kind: 'agentEvent', record: { ...item.record, id: item.record.id.toLowerCase() } }
            : {
                kind: 'callback',
                record: {
                  ...item.record,
                  id: item.record.id.toLowerCase(),
                  callbackId: item.record.callbackId.toLowerCase(),
                  attemptId: item.record.attemptId?.toLowerCase() ?? null,
                },
              };
  const carried = item.kind === 'attempt' || item.kind === 'callback' || item.kind === 'agentEvent' ? item.record.id : item.record.attemptId;
  return { ok: true, item: normalised, carriedId: carried };
}

/** Throws 400 protocol.unsupported or 422 body.invalid for the request; items are judged one by one. */
export function checkPush(body: unknown): CheckedPush {
  const protocol = field(body, 'protocol');
  if (protocol !== undefined && protocol !== protocolVersion) {
    throw new ProtocolFailure('protocol.unsupported', `protocol: ${JSON.stringify(protocol).slice(0, 20)}`);
  }
  const envelope = pushEnvelopeSchema.safeParse(body);
  if (!envelope.success) throw new ProtocolFailure('body.invalid', describeIssues(envelope.error));
  const push: CheckedPush = { deviceId: envelope.data.deviceId, items: envelope.data.items.map(checkPushItem) };
  if (envelope.data.device !== undefined) {
    // A hint for the console: one the server cannot read must not cost the device its push.
    const report = deviceReportSchema.safeParse(envelope.data.device);
    if (report.success) push.device = report.data;
    else push.deviceReportRefused = describeIssues(report.error);
  }
  return push;
}
