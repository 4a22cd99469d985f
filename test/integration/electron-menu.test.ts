// The application menu: every main action has its shortcut and sends the matching menuCommand, text
// editing keeps its standard shortcuts, and packaged builds have no developer tools.

import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('../helpers/fake-electron.ts')).electronModule);

import type { MenuItemConstructorOptions } from 'electron';
import { menuCommands, type MenuCommand } from '../../contract/events.ts';
import { buildMenuTemplate, menuAccelerators, type MenuOptions } from '../../main/menu.ts';

function flatten(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((item) => [item, ...(Array.isArray(item.submenu) ? flatten(item.submenu as MenuItemConstructorOptions[]) : [])]);
}

function menu(overrides: Partial<MenuOptions> = {}) {
  const sent: MenuCommand[] = [];
  const template = buildMenuTemplate({ locale: 'fr', platform: 'linux', isPackaged: true, send: (c) => sent.push(c), ...overrides });
  return { template, items: flatten(template), sent };
}

describe('application menu', () => {
  it.each(['linux', 'win32', 'darwin'] as const)('on %s, has one item per menu command, with its accelerator, sending it', (platform) => {
    const { items, sent } = menu({ platform });
    for (const command of menuCommands) {
      const matching = items.filter((i) => i.id === command);
      expect(matching, command).toHaveLength(1);
      const item = matching[0] as MenuItemConstructorOptions;
      expect(item.accelerator, command).toBe(menuAccelerators[command]);
      (item.click as () => void)();
      expect(sent.at(-1)).toBe(command);
    }
    expect(sent).toHaveLength(menuCommands.length);
  });

  it('uses the shortcuts agents are told about', () => {
    expect(menuAccelerators).toMatchObject({
      focusSearch: 'CmdOrCtrl+K',
      recordSuccess: 'Alt+S',
      recordFailure: 'Alt+E',
      undoLast: 'CmdOrCtrl+Z',
      openSettings: 'CmdOrCtrl+,',
      chooseReason: 'Alt+M',
      openCallbacks: 'Alt+R',
      nextClient: 'Alt+N',
    });
    const accelerators = Object.values(menuAccelerators);
    expect(new Set(accelerators).size).toBe(accelerators.length);
  });

  it('leaves Ctrl+Z to text fields: the Edit undo role owns it, undoLast only displays it', () => {
    const { items } = menu();
    const undoRole = items.find((i) => i.role === 'undo');
    expect(undoRole).toBeDefined();
    expect(undoRole?.accelerator).toBeUndefined(); // the role's own CmdOrCtrl+Z
    expect(items.find((i) => i.id === 'undoLast')?.registerAccelerator).toBe(false);
    const registered = items.filter((i) => i.accelerator === 'CmdOrCtrl+Z' && i.registerAccelerator !== false);
    expect(registered).toHaveLength(0);
    for (const role of ['redo', 'cut', 'copy', 'paste', 'selectAll'] as const) {
      expect(items.some((i) => i.role === role), role).toBe(true);
    }
  });

  it('keeps Alt+S and Alt+E free: no top-level label carries an & mnemonic', () => {
    for (const locale of ['fr', 'en'] as const) {
      for (const top of menu({ locale, platform: 'win32' }).template) expect(top.label ?? '').not.toContain('&');
    }
  });

  it('speaks French by default and English when asked', () => {
    const labels = (locale: 'fr' | 'en') => menu({ locale }).items.map((i) => i.label).filter(Boolean);
    expect(labels('fr')).toEqual(expect.arrayContaining(['Fichier', 'Édition', 'Notifié', 'Injoignable', 'Annuler la dernière tentative']));
    expect(labels('en')).toEqual(expect.arrayContaining(['File', 'Edit', 'Notified', 'Unreachable', 'Undo last attempt']));
  });

  it('has no developer tools nor reload in packaged builds, and has them in development', () => {
    const roles = (isPackaged: boolean) => menu({ isPackaged }).items.map((i) => i.role);
    expect(roles(true)).not.toContain('toggleDevTools');
    expect(roles(true)).not.toContain('reload');
    expect(roles(true)).not.toContain('forceReload');
    expect(roles(false)).toContain('toggleDevTools');
  });

  it('follows each platform: app menu and settings under it on macOS, quit in File elsewhere', () => {
    const mac = menu({ platform: 'darwin' }).template;
    expect(mac[0]?.role).toBe('appMenu');
    const linux = menu({ platform: 'linux' });
    expect(linux.template.some((t) => t.role === 'appMenu')).toBe(false);
    expect(linux.items.some((i) => i.role === 'quit')).toBe(true);
  });
});
