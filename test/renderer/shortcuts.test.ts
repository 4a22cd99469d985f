// The shortcut rules as a pure function, and the documentation generated from the same table.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { en } from '../../renderer/src/i18n/en.ts';
import { fr } from '../../renderer/src/i18n/fr.ts';
import { matchShortcut, shortcutTable, shortcutsMarkdown, type KeyPress, type ShortcutContext } from '../../renderer/src/shortcuts.ts';

const press = (key: string, code: string, mods: Partial<KeyPress> = {}): KeyPress => ({
  key,
  code,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
});
const idle: ShortcutContext = { typing: false, singleKeys: true, dialogOpen: false, undoOpen: false };
const typing: ShortcutContext = { ...idle, typing: true };

describe('matchShortcut', () => {
  it('maps each documented key to its command', () => {
    expect(matchShortcut(press('/', 'Slash'), idle)).toEqual({ kind: 'focusSearch' });
    expect(matchShortcut(press('k', 'KeyK', { ctrlKey: true }), idle)).toEqual({ kind: 'focusSearch' });
    expect(matchShortcut(press('k', 'KeyK', { metaKey: true }), idle)).toEqual({ kind: 'focusSearch' });
    expect(matchShortcut(press('ß', 'KeyS', { altKey: true }), idle)).toEqual({ kind: 'recordSuccess' });
    expect(matchShortcut(press('€', 'KeyE', { altKey: true }), idle)).toEqual({ kind: 'recordFailure' });
    expect(matchShortcut(press('&', 'Digit1', { altKey: true }), idle)).toEqual({ kind: 'channel', index: 0 });
    expect(matchShortcut(press('4', 'Numpad4'), idle)).toEqual({ kind: 'channel', index: 3 });
    expect(matchShortcut(press('z', 'KeyZ', { ctrlKey: true }), idle)).toEqual({ kind: 'undoLast' });
    expect(matchShortcut(press('?', 'Comma', { shiftKey: true }), idle)).toEqual({ kind: 'showShortcuts' });
  });

  it('reads physical keys for Alt shortcuts (AZERTY digits are symbols without Shift)', () => {
    expect(matchShortcut(press('é', 'Digit2', { altKey: true }), idle)).toEqual({ kind: 'channel', index: 1 });
  });

  it('single keys 1–5 match the physical key too: AZERTY top row (& é " \' () and the numpad', () => {
    const azerty = [['&', 'Digit1'], ['é', 'Digit2'], ['"', 'Digit3'], ["'", 'Digit4'], ['(', 'Digit5']] as const;
    azerty.forEach(([key, code], index) => expect(matchShortcut(press(key, code), idle)).toEqual({ kind: 'channel', index }));
    expect(matchShortcut(press('1', 'Digit1', { shiftKey: true }), idle)).toEqual({ kind: 'channel', index: 0 }); // AZERTY with Shift
    expect(matchShortcut(press('End', 'Numpad1'), idle)).toEqual({ kind: 'channel', index: 0 }); // Num Lock off
    expect(matchShortcut(press('5', 'Numpad5'), idle)).toEqual({ kind: 'channel', index: 4 });
    expect(matchShortcut(press('-', 'Digit6'), idle)).toBeNull();
    // Still text while typing, and off with the single keys.
    expect(matchShortcut(press('é', 'Digit2'), typing)).toBeNull();
    expect(matchShortcut(press('&', 'Digit1'), { ...idle, singleKeys: false })).toBeNull();
  });

  it('never takes AltGr (Ctrl+Alt) for Alt: AltGr+E types €', () => {
    expect(matchShortcut(press('€', 'KeyE', { altKey: true, ctrlKey: true }), typing)).toBeNull();
    expect(matchShortcut(press('€', 'KeyE', { altKey: true, ctrlKey: true }), idle)).toBeNull();
  });

  it('plain keys are text while typing; modifier shortcuts still work there', () => {
    for (const [key, code] of [['/', 'Slash'], ['?', 'Comma'], ['1', 'Digit1'], ['5', 'Digit5']] as const) {
      expect(matchShortcut(press(key, code), typing)).toBeNull();
    }
    expect(matchShortcut(press('ß', 'KeyS', { altKey: true }), typing)).toEqual({ kind: 'recordSuccess' });
    expect(matchShortcut(press('k', 'KeyK', { ctrlKey: true }), typing)).toEqual({ kind: 'focusSearch' });
    // Ctrl+Z in a text field undoes the typing, as everywhere else, unless an attempt's undo toast shows.
    expect(matchShortcut(press('z', 'KeyZ', { ctrlKey: true }), typing)).toBeNull();
    expect(matchShortcut(press('z', 'KeyZ', { ctrlKey: true }), { ...typing, undoOpen: true })).toEqual({ kind: 'undoLast' });
  });

  it('single keys can be switched off; modifier shortcuts cannot', () => {
    const off = { ...idle, singleKeys: false };
    expect(matchShortcut(press('/', 'Slash'), off)).toBeNull();
    expect(matchShortcut(press('?', 'Comma', { shiftKey: true }), off)).toBeNull();
    expect(matchShortcut(press('3', 'Digit3'), off)).toBeNull();
    expect(matchShortcut(press('3', 'Digit3', { altKey: true }), off)).toEqual({ kind: 'channel', index: 2 });
  });

  it('nothing fires while a dialog is open', () => {
    const dialog = { ...idle, dialogOpen: true };
    expect(matchShortcut(press('ß', 'KeyS', { altKey: true }), dialog)).toBeNull();
    expect(matchShortcut(press('z', 'KeyZ', { ctrlKey: true }), dialog)).toBeNull();
    expect(matchShortcut(press('/', 'Slash'), dialog)).toBeNull();
  });

  it('ignores keys it does not own', () => {
    expect(matchShortcut(press('6', 'Digit6'), idle)).toBeNull();
    expect(matchShortcut(press('s', 'KeyS'), idle)).toBeNull();
    expect(matchShortcut(press('Z', 'KeyZ', { ctrlKey: true, shiftKey: true }), idle)).toBeNull();
  });
});

describe('shortcut documentation', () => {
  it('docs/shortcuts.md is the table of renderer/src/shortcuts.ts, word for word', () => {
    const file = readFileSync(join(import.meta.dirname, '../../docs/shortcuts.md'), 'utf8');
    expect(file).toBe(shortcutsMarkdown(fr));
  });

  it('the README shows the same table', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    expect(readme).toContain(shortcutsMarkdown(fr).replace(/^# .*\n\n/, ''));
  });

  it('every shortcut is described in both languages', () => {
    for (const s of shortcutTable) {
      expect(fr.shortcuts.descriptions[s.id]).toBeTruthy();
      expect(en.shortcuts.descriptions[s.id]).toBeTruthy();
    }
  });
});
