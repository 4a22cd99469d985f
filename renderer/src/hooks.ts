// Wiring of the workspace to the outside: keys, menu, pushed events, the page language.

import { useEffect } from 'react';
import { runMenuCommand, runShortcut } from './commands.ts';
import { bridge } from './desk.ts';
import { useLocale } from './i18n/index.ts';
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
    return () => {
      offMenu();
      offSync();
    };
  }, []);
}

/** <html lang> follows the agent's language, for screen readers and hyphenation. */
export function useDocumentLanguage(): void {
  const locale = useLocale();
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
}
