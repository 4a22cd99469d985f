// One entry point from untrusted input to a handler: validate, run, wrap. Main's IPC and the web
// bridge both go through here, so a bad payload is refused the same way everywhere.

import { z } from 'zod';
import { DeskError, errorPayload, type DeskErrorPayload, type Result } from './errors.ts';
import { unstorableTextIssue } from './text-schema.ts';
import {
  isOperationName,
  schemas,
  type DeskHandlers,
  type OperationName,
  type OperationOutput,
} from './operations.ts';

export type InternalErrorLogger = (operation: string, error: unknown) => void;

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(racine)'}: ${i.message}`)
    .join('; ');
}

/** A text the stores cannot keep gets its own message (what to do about it); anything else, the issues. */
function inputError(error: z.ZodError): DeskErrorPayload {
  const unstorable = error.issues.find((i) => i.message.startsWith(unstorableTextIssue));
  if (unstorable) {
    const char = unstorable.message.slice(unstorableTextIssue.length + 1).trim() || '?';
    return errorPayload('text.unstorable', { field: unstorable.path.join('.') || '(racine)', char });
  }
  return errorPayload('input.invalid', { details: describeIssues(error) });
}

export async function dispatch(
  handlers: DeskHandlers,
  operation: unknown,
  rawInput: unknown,
  logInternal: InternalErrorLogger = (op, e) => console.error(`[desk] ${op} failed`, e),
): Promise<Result<OperationOutput<OperationName>>> {
  if (!isOperationName(operation)) {
    return { ok: false, error: errorPayload('operation.unknown', { operation: String(operation).slice(0, 80) }) };
  }
  const parsed = schemas[operation].safeParse(rawInput ?? {});
  if (!parsed.success) return { ok: false, error: inputError(parsed.error) };
  try {
    const handler = handlers[operation] as (input: unknown) => unknown;
    const value = (await handler(parsed.data)) as OperationOutput<OperationName>;
    return { ok: true, value };
  } catch (error) {
    if (error instanceof DeskError) return { ok: false, error: error.toPayload() };
    logInternal(operation, error);
    return { ok: false, error: errorPayload('internal') };
  }
}
