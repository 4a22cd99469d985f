// What the agent does, across stores: one call to window.desk, then every view that shows the
// result is updated from the answer itself (list row, client file, history, today's counts).

import type { AttemptStatus, AttemptOutcome, Attempt } from '../../contract/model.ts';
import { call, errorCodeOf } from './desk.ts';
import { reasonLabel } from '../../contract/reasons.ts';
import { currentLocale, currentT } from './i18n/index.ts';
import { reportError, runReported } from './report.ts';
import { useCallbacksStore } from './store/callbacks.ts';
import { useFileStore } from './store/file.ts';
import { useSearchStore } from './store/search.ts';
import { useSettingsStore } from './store/settings.ts';
import { useSyncStore } from './store/sync.ts';
import { useToastStore } from './store/toasts.ts';
import { useTodayStore } from './store/today.ts';
import { undoWindowMs, useWorkspaceStore, type UndoWindow } from './store/workspace.ts';

let undoToastId: number | null = null;

export function applyOutcome(outcome: AttemptOutcome): void {
  useFileStore.getState().applyOutcome(outcome);
  useSearchStore.getState().patchClient(outcome.client);
  // Counts and the outbox are aggregates: one small query each rather than guessing them here,
  // asked once the new status is on screen so they never delay the paint the agent waits for.
  afterPaint(() => {
    useTodayStore.getState().refresh().catch(reportError);
    useSyncStore.getState().load().catch(reportError);
    // An attempt closes its client's open call-backs.
    useCallbacksStore.getState().load().catch(reportError);
  });
}

function afterPaint(run: () => void): void {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => setTimeout(run, 0));
  else setTimeout(run, 0);
}

export async function recordAttempt(status: AttemptStatus): Promise<void> {
  const workspace = useWorkspaceStore.getState();
  const clientCode = useFileStore.getState().code;
  if (!clientCode || workspace.busy) return; // a double click records once
  workspace.setBusy(true);
  try {
    const note = workspace.note.trim();
    // Recording stays one click: a reason picked for the other result is left out, and said so.
    const reasons = useSettingsStore.getState().settings?.reasons ?? [];
    const picked = workspace.reason;
    const definition = picked ? reasons.find((r) => r.code === picked) : undefined;
    const reason = picked && (!definition || definition.status === status) ? picked : null;
    const outcome = await call('recordAttempt', {
      clientCode,
      status,
      channel: workspace.channel,
      ...(note ? { note } : {}),
      ...(reason ? { reason } : {}),
    });
    applyOutcome(outcome);
    useWorkspaceStore.getState().setNote('');
    useWorkspaceStore.getState().setReason(null);
    openUndoWindow(outcome.attempt, outcome.client.name);
    if (picked && !reason) {
      const t = currentT();
      useToastStore.getState().push({ kind: 'info', text: t.record.reasonDropped(reasonName(picked), t.status[status]) });
    }
  } finally {
    useWorkspaceStore.getState().setBusy(false);
  }
}

function openUndoWindow(attempt: Attempt, clientName: string): void {
  const t = currentT();
  const toasts = useToastStore.getState();
  if (undoToastId !== null) toasts.dismiss(undoToastId);
  const window: UndoWindow = {
    attemptId: attempt.id,
    clientCode: attempt.clientCode,
    clientName,
    status: attempt.status,
    reason: attempt.reason,
    expiresAt: Date.now() + undoWindowMs,
  };
  useWorkspaceStore.getState().openUndo(window);
  advanceAfter(window, undoWindowMs + 100);
  // What was recorded for whom: the agent may already be on the next client when it shows.
  undoToastId = toasts.push({
    kind: 'success',
    text: t.record.recorded(t.status[attempt.status], clientName),
    // The toast names its client, so its button undoes from any file.
    action: { label: t.record.undo, run: () => runReported(() => undoWindow(window)) },
    timeoutMs: undoWindowMs,
  });
}

/**
 * Ctrl+Z or the menu: takes back the last attempt while its window is open, on that client's file
 * only (after opening another client, Ctrl+Z there must not undo someone else's attempt unseen).
 * Otherwise it says why nothing was undone.
 */
export async function undoLast(): Promise<void> {
  const { undo, pastUndo } = useWorkspaceStore.getState();
  const t = currentT();
  if (!undo) {
    if (pastUndo) useToastStore.getState().push({ kind: 'info', text: t.record.undoExpired(pastUndo.clientName) });
    return;
  }
  if (useFileStore.getState().code !== undo.clientCode) {
    useToastStore.getState().push({ kind: 'info', text: t.record.undoOtherClient(undo.clientName) });
    return;
  }
  await undoWindow(undo);
}

async function undoWindow(undo: UndoWindow): Promise<void> {
  const t = currentT();
  if (Date.now() > undo.expiresAt) {
    useWorkspaceStore.getState().closeUndo(undo.attemptId);
    useToastStore.getState().push({ kind: 'info', text: t.record.undoExpired(undo.clientName) });
    return;
  }
  useWorkspaceStore.getState().closeUndo(undo.attemptId);
  if (undoToastId !== null) useToastStore.getState().dismiss(undoToastId);
  undoToastId = null;
  try {
    applyOutcome(await call('undoAttempt', { attemptId: undo.attemptId }));
  } catch (error) {
    if (errorCodeOf(error) === 'attempt.alreadyVoided') return; // undone elsewhere: nothing left to do
    throw error;
  }
  useToastStore.getState().push({ kind: 'info', text: t.record.undone(t.status[undo.status], undo.clientName) });
}

/** A reason's words in the interface's language; a code the list does not know, as it is. */
export function reasonName(code: string): string {
  return reasonLabel(useSettingsStore.getState().settings?.reasons ?? [], code, currentLocale());
}

/**
 * The Motif group's choice. Within the undo window of the open client's last attempt, it gives
 * that attempt its reason (a record of its own: the attempt is not changed); otherwise it is kept
 * for the next click.
 */
export async function pickReason(code: string | null): Promise<void> {
  const { undo } = useWorkspaceStore.getState();
  const onFile = undo !== null && undo.reason === null && useFileStore.getState().code === undo.clientCode && Date.now() <= undo.expiresAt;
  if (!onFile || code === null) {
    useWorkspaceStore.getState().setReason(code);
    return;
  }
  const outcome = await call('giveReason', { attemptId: undo.attemptId, code });
  useWorkspaceStore.getState().reasonGiven(undo.attemptId, code);
  applyOutcome(outcome);
  advanceAfter(undo, 0);
  useToastStore.getState().push({ kind: 'info', text: currentT().record.reasonGiven(reasonName(code), undo.clientName) });
}

export function focusReason(): void {
  const group = document.getElementById(reasonGroupId);
  // Before the click the checked radio (arrows move from it); after it, the given reason or the first.
  const target =
    group?.querySelector<HTMLElement>('input:checked, button[aria-pressed="true"]') ?? group?.querySelector<HTMLElement>('input, button');
  target?.focus();
}

export const reasonGroupId = 'attempt-reason';

/** "Client suivant" (Alt+N): the queue's next client, passing over the one open; says so when there is none. */
export async function nextClientNow(): Promise<void> {
  const current = useFileStore.getState().code;
  const next = await call('nextClient', { exclude: current ? [current] : [] });
  const t = currentT();
  if (!next) {
    useToastStore.getState().push({ kind: 'info', text: t.queue.empty });
    return;
  }
  await useFileStore.getState().open(next.code);
  const name = useFileStore.getState().client?.name ?? next.code;
  useToastStore.getState().push({ kind: 'info', text: t.queue.opened(name, t.queue.why[next.why]) });
}

let advanceTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * With the setting on, the desk moves to the next client by itself after recording: once the undo
 * window has passed (not undone), or at once when the reason is given, and only if the agent is
 * still on that client's file.
 */
function advanceAfter(window: UndoWindow, delayMs: number): void {
  clearTimeout(advanceTimer);
  if (!useSettingsStore.getState().settings?.autoAdvance) return;
  advanceTimer = setTimeout(() => {
    const { undo, pastUndo } = useWorkspaceStore.getState();
    const stillThere = undo?.attemptId === window.attemptId || pastUndo?.attemptId === window.attemptId;
    if (stillThere && useFileStore.getState().code === window.clientCode) runReported(nextClientNow);
  }, delayMs);
}

export async function voidAttempt(attemptId: string, reason: string): Promise<AttemptOutcome> {
  const outcome = await call('voidAttempt', { attemptId, reason });
  useWorkspaceStore.getState().closeUndo(attemptId);
  applyOutcome(outcome);
  const t = currentT();
  useToastStore.getState().push({ kind: 'info', text: t.voidDialog.done(t.status[outcome.attempt.status], outcome.client.name) });
  return outcome;
}

/** The channel picked is remembered for the next attempt, on this device. */
export function chooseChannel(channel: string): void {
  if (useWorkspaceStore.getState().channel === channel) return;
  useWorkspaceStore.getState().setChannel(channel);
  useSettingsStore.getState().update({ lastChannel: channel }).catch(reportError);
}

export function openClient(code: string): void {
  useFileStore.getState().open(code).catch(reportError);
}

/** After an import or a demo seed: the list and the count change, the open file may too. */
export async function refreshAfterClientsChanged(): Promise<void> {
  await Promise.all([useSearchStore.getState().run(), useSettingsStore.getState().load()]);
  const code = useFileStore.getState().code;
  if (code) await useFileStore.getState().open(code);
}

export function focusSearch(): void {
  const input = document.getElementById(searchInputId);
  if (input instanceof HTMLInputElement) {
    input.focus();
    input.select();
  }
}

export const searchInputId = 'client-search';
