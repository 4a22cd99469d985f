// The renderer's only door to the outside: window.desk (Electron's preload or the web bridge).
// Calls come back as Results; `call` turns a failure into an ApiError carrying the FR/EN message.

import type { DeskBridge } from '../../contract/bridge.ts';
import { errorPayload, type DeskErrorPayload, type Locale } from '../../contract/errors.ts';
import type { OperationInput, OperationName, OperationOutput } from '../../contract/operations.ts';
import type { Result } from '../../contract/errors.ts';

export class ApiError extends Error {
  readonly payload: DeskErrorPayload;
  constructor(payload: DeskErrorPayload) {
    super(payload.message.en);
    this.name = 'ApiError';
    this.payload = payload;
  }
}

export function hasBridge(): boolean {
  return typeof window !== 'undefined' && typeof window.desk === 'object' && window.desk !== null;
}

export function bridge(): DeskBridge {
  if (!hasBridge()) throw new Error('window.desk is missing: no preload or web bridge');
  return window.desk;
}

export async function call<K extends OperationName>(operation: K, input: OperationInput<K>): Promise<OperationOutput<K>> {
  const run = bridge().api[operation] as (i: OperationInput<K>) => Promise<Result<OperationOutput<K>>>;
  let result: Result<OperationOutput<K>>;
  try {
    result = await run(input);
  } catch {
    // The bridge itself failed (IPC closed, web server gone): say so as the contract's internal error.
    throw new ApiError(errorPayload('internal'));
  }
  if (!result.ok) throw new ApiError(result.error);
  return result.value;
}

/** What to tell the agent about any failure: the API's own words, else the generic internal one. */
export function messageOf(error: unknown, locale: Locale): string {
  const payload = error instanceof ApiError ? error.payload : errorPayload('internal');
  return payload.message[locale];
}

export function errorCodeOf(error: unknown): string | null {
  return error instanceof ApiError ? error.payload.code : null;
}
