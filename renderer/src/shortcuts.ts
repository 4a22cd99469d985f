// The keyboard shortcuts as data: the overlay, docs/shortcuts.md and the key handler read this one
// table, so what is documented is what works.

import type { Dictionary } from './i18n/fr.ts';

export type ShortcutId = keyof Dictionary['shortcuts']['descriptions'];

export interface ShortcutKey {
  /** As printed: 'Ctrl+K', '/', or a key name translated through the dictionary ('Enter'). */
  label: string;
  /** A key without Ctrl/Alt: never fires while typing, and can be switched off in the settings. */
  singleKey: boolean;
}

export interface Shortcut {
  id: ShortcutId;
  keys: ShortcutKey[];
}

const key = (label: string, singleKey = false): ShortcutKey => ({ label, singleKey });

export const shortcutTable: readonly Shortcut[] = [
  { id: 'focusSearch', keys: [key('/', true), key('Ctrl+K')] },
  { id: 'moveInList', keys: [key('↓'), key('↑')] },
  { id: 'openClient', keys: [key('Enter')] },
  { id: 'recordSuccess', keys: [key('Alt+S')] },
  { id: 'recordFailure', keys: [key('Alt+E')] },
  { id: 'channel', keys: [key('Alt+1…5'), key('1…5', true)] },
  { id: 'reason', keys: [key('Alt+M')] },
  { id: 'callbacks', keys: [key('Alt+R')] },
  { id: 'nextClient', keys: [key('Alt+N')] },
  { id: 'undoLast', keys: [key('Ctrl+Z')] },
  { id: 'switchAgent', keys: [key('Ctrl+Shift+L')] },
  { id: 'showShortcuts', keys: [key('?', true)] },
  { id: 'closeDialog', keys: [key('Escape')] },
];

export function keyLabel(t: Dictionary, label: string): string {
  return label === 'Enter' || label === 'Escape' ? t.shortcuts.keyNames[label] : label;
}

/** What a key press asks for, once the rules below have been applied. */
export type ShortcutCommand =
  | { kind: 'focusSearch' }
  | { kind: 'recordSuccess' }
  | { kind: 'recordFailure' }
  | { kind: 'channel'; index: number }
  | { kind: 'reason' }
  | { kind: 'callbacks' }
  | { kind: 'nextClient' }
  /** `native`: the key keeps its own meaning too (undo the typing) while the desk says its piece. */
  | { kind: 'undoLast'; native?: true }
  | { kind: 'showShortcuts' }
  | { kind: 'switchAgent' };

export interface KeyPress {
  key: string;
  code: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

export interface ShortcutContext {
  /** Focus is in a text field: plain keys are text there, not commands. */
  typing: boolean;
  singleKeys: boolean;
  /** A dialog has the agent's attention: nothing behind it may change. */
  dialogOpen: boolean;
  /** The undo toast of the last attempt is showing, and that attempt is the open client's. */
  undoOpen: boolean;
  /**
   * Ctrl+Z in a text field would otherwise pass in silence: the last attempt's undo is for another
   * client, or its window closed moments ago.
   */
  undoNotice?: boolean;
}

const channelDigit = /^(?:Digit|Numpad)([1-5])$/;

/**
 * Alt shortcuts read the physical key (event.code) so they work on AZERTY and on macOS, where Alt
 * changes the character; AltGr (Ctrl+Alt on Windows, e.g. AltGr+E = €) is never taken for Alt.
 */
export function matchShortcut(e: KeyPress, ctx: ShortcutContext): ShortcutCommand | null {
  if (ctx.dialogOpen) return null;
  const ctrl = e.ctrlKey || e.metaKey;
  if (ctrl && !e.altKey) {
    const letter = e.key.toLowerCase();
    if (letter === 'k' || e.code === 'KeyK') return { kind: 'focusSearch' };
    if (e.shiftKey && (letter === 'l' || e.code === 'KeyL')) return { kind: 'switchAgent' };
    // While the undo toast shows, Ctrl+Z takes back the attempt, from anywhere (the agent usually
    // still has focus in the search field after Enter). Otherwise, in a text field, it keeps its
    // usual meaning: undo the last typing.
    if (!e.shiftKey && (letter === 'z' || e.code === 'KeyZ')) {
      if (ctx.undoOpen || !ctx.typing) return { kind: 'undoLast' };
      return ctx.undoNotice ? { kind: 'undoLast', native: true } : null;
    }
    return null;
  }
  if (e.altKey && !ctrl) {
    if (e.code === 'KeyS') return { kind: 'recordSuccess' };
    if (e.code === 'KeyR') return { kind: 'callbacks' };
    if (e.code === 'KeyN') return { kind: 'nextClient' };
    if (e.code === 'KeyE') return { kind: 'recordFailure' };
    // M moves on AZERTY (where QWERTY has ';'): the character, Windows' or macOS' (µ), or the QWERTY key.
    if (e.key === 'm' || e.key === 'M' || e.key === 'µ' || e.code === 'KeyM') return { kind: 'reason' };
    const digit = channelDigit.exec(e.code);
    if (digit) return { kind: 'channel', index: Number(digit[1]) - 1 };
    return null;
  }
  if (ctrl || e.altKey || ctx.typing || !ctx.singleKeys) return null;
  if (e.key === '/') return { kind: 'focusSearch' };
  if (e.key === '?') return { kind: 'showShortcuts' };
  // The physical key as well as the character: AZERTY's top row types & é " ' ( without Shift, and
  // the numpad's digits stay channels with Num Lock off.
  const digit = channelDigit.exec(e.code) ?? /^([1-5])$/.exec(e.key);
  if (digit) return { kind: 'channel', index: Number(digit[1]) - 1 };
  return null;
}

/** Text fields, where single keys are text. Buttons, radios and checkboxes are not. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).tagName !== 'string') return false;
  const element = target as HTMLElement;
  if (element.isContentEditable) return true;
  const tag = element.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  const type = (element as HTMLInputElement).type;
  return !['button', 'checkbox', 'radio', 'reset', 'submit', 'file', 'range', 'color', 'image'].includes(type);
}

/** The same table as Markdown, for docs/shortcuts.md (a test keeps the file in step). */
export function shortcutsMarkdown(t: Dictionary): string {
  const lines = [
    `# ${t.shortcuts.title}`,
    '',
    `| ${t.shortcuts.key} | ${t.shortcuts.action} |`,
    '| --- | --- |',
    ...shortcutTable.map(
      (s) => `| ${s.keys.map((k) => `<kbd>${keyLabel(t, k.label)}</kbd>`).join(` ${t.shortcuts.or} `)} | ${t.shortcuts.descriptions[s.id]} |`,
    ),
    '',
    `${t.shortcuts.typingNote} ${t.shortcuts.singleKeysNote} ${t.shortcuts.macNote}`,
    '',
  ];
  return lines.join('\n');
}
