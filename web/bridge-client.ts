// `window.desk` for a page served by `npm run web`: the same DeskBridge the Electron preload gives,
// over HTTP to the local server. Built into /desk-bridge.js when the server starts (web/bridge-bundle.ts),
// never into the renderer bundle. It runs as a classic script before the app's module script.

import type { DeskBridge } from '../contract/bridge.ts';
import { errorPayload, type Result } from '../contract/errors.ts';
import type { DeskEventName, DeskEvents, Unsubscribe } from '../contract/events.ts';
import { operationNameList } from '../contract/channels.ts';
import type { DeskApi, OperationName } from '../contract/operations.ts';

// This file is type-checked with the Node project (no DOM library), so the little of the DOM it
// touches is declared here rather than pulling DOM types into main's and the server's code.
interface MetaElement {
  getAttribute(name: string): string | null;
}
declare const document: { querySelector(selector: string): MetaElement | null };
interface MessageLike {
  data: string;
}
interface EventSourceLike {
  addEventListener(type: string, listener: (event: MessageLike) => void): void;
  removeEventListener(type: string, listener: (event: MessageLike) => void): void;
  close(): void;
}
declare const EventSource: new (url: string) => EventSourceLike;

const secret = document.querySelector('meta[name="desk-secret"]')?.getAttribute('content') ?? '';

function isResult(value: unknown): value is Result<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { ok?: unknown }).ok === 'boolean';
}

/** One POST to the local server: its Result, refusals (403, 413, 400) included, so the UI shows their words. */
async function post(path: string, contentType: string, body: string | Blob): Promise<Result<unknown>> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': contentType, 'X-Desk-Secret': secret },
      body,
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (error) {
    return { ok: false, error: errorPayload('bridge.unreachable', { details: String(error) }) };
  }
  const answer: unknown = await response.json().catch(() => null);
  if (isResult(answer)) return answer;
  return { ok: false, error: errorPayload('bridge.unreachable', { details: `HTTP ${response.status}` }) };
}

function call(operation: OperationName, input: unknown): Promise<Result<unknown>> {
  return post(`/desk/api/${operation}`, 'application/json', JSON.stringify(input ?? {}));
}

const api = Object.fromEntries(
  operationNameList.map((operation) => [operation, (input: unknown) => call(operation, input)]),
) as unknown as DeskApi;

// One EventSource for the page, opened with the first listener and closed with the last.
let source: EventSourceLike | null = null;
let listenerCount = 0;

function on<E extends DeskEventName>(event: E, listener: (payload: DeskEvents[E]) => void): Unsubscribe {
  source ??= new EventSource(`/desk/events?secret=${encodeURIComponent(secret)}`);
  const current = source;
  const handler = (message: MessageLike) => listener(JSON.parse(message.data) as DeskEvents[E]);
  current.addEventListener(event, handler);
  listenerCount += 1;
  let subscribed = true;
  return () => {
    if (!subscribed) return;
    subscribed = false;
    current.removeEventListener(event, handler);
    listenerCount -= 1;
    if (listenerCount === 0 && source === current) {
      current.close();
      source = null;
    }
  };
}

/**
 * The file goes to the local server as the request body, streamed by the browser (never read whole
 * in the page); the server keeps it on disk for the database worker and answers with the report.
 */
function importFile(file: Blob, importId: string): Promise<Result<unknown>> {
  return post(`/desk/import?importId=${encodeURIComponent(importId)}`, 'application/octet-stream', file);
}

const bridge: DeskBridge = { api, on, importFile: importFile as DeskBridge['importFile'], shell: 'web' };
Object.defineProperty(globalThis, 'desk', { value: Object.freeze(bridge), enumerable: true });
