// What the agent does with call-backs: schedule one from the client file, cancel one, and hear when
// one falls due.

import type { CallbackItem, CallbackQuickChoice } from '../../contract/model.ts';
import { openClient } from './actions.ts';
import { call } from './desk.ts';
import { formatDateTime } from './format.ts';
import { currentT } from './i18n/index.ts';
import { reportError } from './report.ts';
import { callbackWatchMs, useCallbacksStore } from './store/callbacks.ts';
import { useSyncStore } from './store/sync.ts';
import { useToastStore } from './store/toasts.ts';

export async function scheduleCallback(input: {
  clientCode: string;
  clientName: string;
  when: CallbackQuickChoice | { at: string };
  forTeam: boolean;
}): Promise<CallbackItem> {
  const item = await call('scheduleCallback', { clientCode: input.clientCode, when: input.when, forTeam: input.forTeam });
  const t = currentT();
  useToastStore.getState().push({ kind: 'success', text: t.callbacks.scheduled(input.clientName, formatDateTime(t, item.dueAt)) });
  await refreshCallbacks();
  return item;
}

export async function cancelCallback(item: CallbackItem): Promise<void> {
  await call('cancelCallback', { callbackId: item.callbackId });
  useToastStore.getState().push({ kind: 'info', text: currentT().callbacks.cancelled(item.clientName) });
  await refreshCallbacks();
}

async function refreshCallbacks(): Promise<void> {
  await useCallbacksStore.getState().load();
  useSyncStore.getState().load().catch(reportError);
}

const announced = new Set<string>();

/** Says each call-back once, when it falls due: the desktop's notification, or one in the page. */
export async function announceDueCallbacks(): Promise<void> {
  const list = await useCallbacksStore.getState().load();
  const t = currentT();
  // Those falling due now; the overdue ones wait in the worklist rather than in a burst of messages.
  for (const item of list.dueNow) {
    if (announced.has(item.callbackId)) continue;
    announced.add(item.callbackId);
    const { shown } = await call('notifyCallback', { callbackId: item.callbackId });
    // The page says it too, with the way to the client: a system notification may be missed.
    useToastStore.getState().push({
      kind: 'info',
      text: t.callbacks.due(item.clientName),
      action: { label: t.callbacks.open, run: () => openClient(item.clientCode) },
      timeoutMs: shown ? 15_000 : null,
    });
  }
}

export function watchCallbacks(): () => void {
  const run = () => announceDueCallbacks().catch(reportError);
  run();
  const timer = setInterval(run, callbackWatchMs);
  return () => clearInterval(timer);
}
