// The sandboxed preload: the only code with both `ipcRenderer` and the page in reach. It hands the page
// `window.desk` — one function per contract operation, a listener registry restricted to contract
// events, and the shell's name — and never ipcRenderer itself or an IPC event object.
// Bundled as one CommonJS file; it imports only zod-free contract files to stay small.

import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { DeskBridge } from '../contract/bridge.ts';
import { channelOf, operationNameList } from '../contract/channels.ts';
import { eventChannelOf, eventNames, type DeskEventName, type DeskEvents } from '../contract/events.ts';
import type { DeskApi } from '../contract/operations.ts';

function buildApi(): DeskApi {
  const api: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const operation of operationNameList) {
    const channel = channelOf(operation);
    api[operation] = (input) => ipcRenderer.invoke(channel, input);
  }
  return Object.freeze(api) as unknown as DeskApi;
}

function isEventName(value: unknown): value is DeskEventName {
  return typeof value === 'string' && (eventNames as string[]).includes(value);
}

function on<E extends DeskEventName>(event: E, listener: (payload: DeskEvents[E]) => void): () => void {
  if (!isEventName(event)) throw new TypeError(`Unknown desk event: ${String(event).slice(0, 80)}`);
  if (typeof listener !== 'function') throw new TypeError('A desk event listener must be a function');
  const channel = eventChannelOf(event);
  // The page sees the payload only: the IpcRendererEvent carries `sender` (ipcRenderer itself).
  const relay = (_event: IpcRendererEvent, payload: DeskEvents[E]) => listener(payload);
  ipcRenderer.on(channel, relay);
  let subscribed = true;
  return () => {
    if (!subscribed) return;
    subscribed = false;
    ipcRenderer.removeListener(channel, relay);
  };
}

const api = buildApi();

/** The picked file's path, which only the preload can see (Electron removed File.path), handed to the worker. */
function importFile(file: File, importId: string): ReturnType<DeskBridge['importFile']> {
  const path = webUtils.getPathForFile(file);
  return api.importClientsFile({ path, importId }) as unknown as ReturnType<DeskBridge['importFile']>;
}

const bridge: DeskBridge = Object.freeze({ api, on, importFile, shell: 'electron' as const });

contextBridge.exposeInMainWorld('desk', bridge);
