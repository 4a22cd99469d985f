// Wiring of the workspace to the outside: keys, menu, pushed events, the page language.

import { useEffect } from 'react';
import { runMenuCommand, runShortcut } from './commands.ts';
import { bridge } from './desk.ts';
import type { DatabaseState } from '../../contract/model.ts';
import { currentLocale, currentT, useLocale } from './i18n/index.ts';
import { reportError } from './report.ts';
import { useSearchStore } from './store/search.ts';
import { useTodayStore } from './store/today.ts';
import { useToastStore } from './store/toasts.ts';
import { isTypingTarget, matchShortcut } from './shortcuts.ts';
import { useSettingsStore } from './store/settings.ts';
import { useSyncStore } from './store/sync.ts';
import { useFileStore } from './store/file.ts';
import { useWorkspaceStore } from './store/workspace.ts';

/** How long after its window closed Ctrl+Z in a text field still says the window has passed. */
const undoNoticeMs = 60_000;

export function useGlobalShortcuts(): void {
  useEffect(() => {
    function onKeyDown(e: KeyboardEvent) {
      if (e.defaultPrevented || e.isComposing || e.repeat) return;
      const { undo, pastUndo, dialog } = useWorkspaceStore.getState();
      const openCode = useFileStore.getState().code;
      const command = matchShortcut(e, {
        typing: isTypingTarget(e.target),
        singleKeys: useSettingsStore.getState().settings?.singleKeyShortcuts ?? true,
        dialogOpen: dialog !== null,
        undoOpen: undo !== null && undo.clientCode === openCode,
        undoNotice: (undo !== null && undo.clientCode !== openCode) || (pastUndo !== null && Date.now() - pastUndo.expiresAt < undoNoticeMs),
      });
      if (!command) return;
      if (!('native' in command && command.native)) e.preventDefault();
      runShortcut(command);
    }
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, []);
}

export function useDeskEvents(): void {
  useEffect(() => {
    const desk = bridge();
    const offMenu = desk.on('menuCommand', runMenuCommand);
    const offSync = desk.on('syncState', (state) => useSyncStore.getState().set(state));
    const offDatabase = desk.on('databaseState', onDatabaseState);
    return () => {
      offMenu();
      offSync();
      offDatabase();
    };
  }, []);
}

/**
 * The database worker stopped and was restarted (or could not be): the agent is told, since a click
 * in flight may or may not have been saved; once it answers again, what is on screen is read again.
 */
function onDatabaseState(state: DatabaseState): void {
  const t = currentT();
  const toasts = useToastStore.getState();
  if (state.status === 'ready') {
    toasts.push({ kind: 'info', text: t.storage.back });
    useSearchStore.getState().run().catch(reportError);
    useTodayStore.getState().refresh().catch(reportError);
    return;
  }
  const text = state.status === 'restarting' ? t.storage.restarted : (state.message?.[currentLocale()] ?? t.storage.restarted);
  toasts.push({ kind: 'error', text });
}

/** <html lang> follows the agent's language, for screen readers and hyphenation. */
export function useDocumentLanguage(): void {
  const locale = useLocale();
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
}
