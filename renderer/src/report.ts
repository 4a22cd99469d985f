// One way to tell the agent an operation failed: a toast with role=alert, in their language.

import { messageOf } from './desk.ts';
import { currentLocale } from './i18n/index.ts';
import { useToastStore } from './store/toasts.ts';

export function reportError(error: unknown): void {
  if (!(error instanceof Error) || error.name !== 'ApiError') console.error(error);
  useToastStore.getState().push({ kind: 'error', text: messageOf(error, currentLocale()) });
}

/** Runs an action from a click or a shortcut; a failure becomes a toast, never an unhandled rejection. */
export function runReported(action: () => Promise<unknown>): void {
  action().catch(reportError);
}
