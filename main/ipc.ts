// The IPC surface: one `ipcMain.handle` per contract operation and nothing else. Like VS Code's
// validated IPC, every call first proves it comes from the top frame of the app's own window showing
// the app's own page; then it goes to the database worker, where contract/dispatch.ts validates the
// input and runs the handler. Main itself never validates, reads or writes anything of the database.

import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { channelOf, operationNameList } from '../contract/channels.ts';
import { errorPayload, type Result } from '../contract/errors.ts';
import { eventChannelOf } from '../contract/events.ts';
import type { OperationName, OperationOutput } from '../contract/operations.ts';
import type { DeskCall } from '../db/database-client.ts';
import type { EmitEvent } from '../db/desk.ts';
import type { AppPage } from './app-page.ts';

/** Which web contents is the app's window right now (null while none is open). */
export type AppContents = () => WebContents | null;

export function isTrustedSender(event: IpcMainInvokeEvent, page: AppPage, appContents: AppContents): boolean {
  const frame = event.senderFrame;
  const contents = appContents();
  if (!frame || !contents || contents.isDestroyed()) return false;
  if (event.sender !== contents) return false;
  if (frame.parent !== null) return false;
  return page.isAppUrl(frame.url);
}

export interface DeskIpc {
  /** The channels registered, in the contract's order. */
  channels: string[];
  dispose(): void;
}

export function registerDeskIpc(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  call: DeskCall,
  trust: { page: AppPage; appContents: AppContents; onRefused?: (channel: string, senderUrl: string | null) => void },
): DeskIpc {
  const channels = operationNameList.map((operation) => {
    const channel = channelOf(operation);
    ipcMain.handle(
      channel,
      async (event, input: unknown): Promise<Result<OperationOutput<OperationName>>> => {
        if (!isTrustedSender(event, trust.page, trust.appContents)) {
          trust.onRefused?.(channel, event.senderFrame?.url ?? null);
          return { ok: false, error: errorPayload('sender.forbidden') };
        }
        return call(operation, input);
      },
    );
    return channel;
  });
  return {
    channels,
    dispose: () => channels.forEach((channel) => ipcMain.removeHandler(channel)),
  };
}

/**
 * 'callbackDue' is for the system, not the page: shown as a notification (Electron's, in main),
 * never forwarded. Everything else goes on to the page.
 */
export function withSystemNotices(emit: EmitEvent, show: (notice: { title: string; body: string }) => void): EmitEvent {
  return (event, payload) => {
    if (event === 'callbackDue') show(payload as { title: string; body: string });
    else emit(event, payload);
  };
}

/** The one way main pushes an event to the page; dropped silently while no window is open. */
export function createEmitter(appContents: AppContents): EmitEvent {
  return (event, payload) => {
    const contents = appContents();
    if (!contents || contents.isDestroyed()) return;
    contents.send(eventChannelOf(event), payload);
  };
}
