// The application menu, in the agent's language. Each business item sends a `menuCommand` event and
// the page runs the same action as its button, so a shortcut and a click can never behave differently.
//
// Undo: Ctrl+Z (Cmd+Z) belongs to the Edit menu's own undo role, so it keeps undoing typing inside
// text fields (a search, a note). "Undo last attempt" shows the same shortcut but does not register
// it (registerAccelerator: false): when the focus is not in a text field the page itself turns Ctrl+Z
// into undoLast, and the menu item remains clickable. Top-level labels carry no "&" mnemonic, so
// Alt+S / Alt+E stay free for Notifié / Injoignable on Windows and Linux.

import { Menu, type MenuItemConstructorOptions } from 'electron';
import type { Locale } from '../contract/errors.ts';
import type { MenuCommand } from '../contract/events.ts';

export const menuAccelerators: Record<MenuCommand, string> = {
  focusSearch: 'CmdOrCtrl+K',
  recordSuccess: 'Alt+S',
  recordFailure: 'Alt+E',
  undoLast: 'CmdOrCtrl+Z',
  showShortcuts: 'F1',
  openSettings: 'CmdOrCtrl+,',
  exportHistory: 'CmdOrCtrl+Shift+E',
  importClients: 'CmdOrCtrl+O',
  syncNow: 'CmdOrCtrl+Shift+S',
  switchAgent: 'CmdOrCtrl+Shift+L',
  chooseReason: 'Alt+M',
  openCallbacks: 'Alt+R',
  nextClient: 'Alt+N',
};

const words = {
  fr: {
    file: 'Fichier',
    edit: 'Édition',
    attempts: 'Tentatives',
    view: 'Affichage',
    window: 'Fenêtre',
    help: 'Aide',
    exportDiagnostics: 'Exporter un diagnostic…',
    importClients: 'Importer des clients…',
    exportHistory: 'Exporter l’historique…',
    syncNow: 'Synchroniser maintenant',
    switchAgent: 'Changer d’agent',
    chooseReason: 'Choisir le motif',
    openCallbacks: 'À rappeler…',
    nextClient: 'Client suivant',
    backupDatabase: 'Sauvegarder la base…',
    restoreDatabase: 'Restaurer une sauvegarde…',
    openSettings: 'Paramètres…',
    quit: 'Quitter',
    undo: 'Annuler la saisie',
    redo: 'Rétablir',
    cut: 'Couper',
    copy: 'Copier',
    paste: 'Coller',
    selectAll: 'Tout sélectionner',
    focusSearch: 'Rechercher un client',
    recordSuccess: 'Notifié',
    recordFailure: 'Injoignable',
    undoLast: 'Annuler la dernière tentative',
    reload: 'Recharger',
    devTools: 'Outils de développement',
    resetZoom: 'Taille réelle',
    zoomIn: 'Zoom avant',
    zoomOut: 'Zoom arrière',
    fullScreen: 'Plein écran',
    minimize: 'Réduire',
    close: 'Fermer la fenêtre',
    showShortcuts: 'Raccourcis clavier',
  },
  en: {
    file: 'File',
    edit: 'Edit',
    attempts: 'Attempts',
    view: 'View',
    window: 'Window',
    help: 'Help',
    exportDiagnostics: 'Export a diagnostic…',
    importClients: 'Import clients…',
    exportHistory: 'Export history…',
    syncNow: 'Sync now',
    switchAgent: 'Switch agent',
    chooseReason: 'Choose the reason',
    openCallbacks: 'Call-backs…',
    nextClient: 'Next client',
    backupDatabase: 'Back up the database…',
    restoreDatabase: 'Restore a backup…',
    openSettings: 'Settings…',
    quit: 'Quit',
    undo: 'Undo typing',
    redo: 'Redo',
    cut: 'Cut',
    copy: 'Copy',
    paste: 'Paste',
    selectAll: 'Select all',
    focusSearch: 'Search a client',
    recordSuccess: 'Notified',
    recordFailure: 'Unreachable',
    undoLast: 'Undo last attempt',
    reload: 'Reload',
    devTools: 'Developer tools',
    resetZoom: 'Actual size',
    zoomIn: 'Zoom in',
    zoomOut: 'Zoom out',
    fullScreen: 'Full screen',
    minimize: 'Minimize',
    close: 'Close window',
    showShortcuts: 'Keyboard shortcuts',
  },
} satisfies Record<Locale, Record<string, string>>;

export interface MenuOptions {
  locale: Locale;
  platform: NodeJS.Platform;
  /** Packaged builds get neither reload nor developer tools. */
  isPackaged: boolean;
  send(command: MenuCommand): void;
  /** Main's own items (native file dialogs), not the page's: main/storage-menu.ts. */
  storage?: { backup(): void; restore(): void };
  /** Aide → "Exporter un diagnostic…": main/diagnostics.ts. */
  support?: { exportDiagnostics(): void };
}

export function buildMenuTemplate(options: MenuOptions): MenuItemConstructorOptions[] {
  const w = words[options.locale];
  const isMac = options.platform === 'darwin';
  const command = (name: MenuCommand, extra: Partial<MenuItemConstructorOptions> = {}): MenuItemConstructorOptions => ({
    id: name,
    label: w[name],
    accelerator: menuAccelerators[name],
    click: () => options.send(name),
    ...extra,
  });

  const file: MenuItemConstructorOptions = {
    label: w.file,
    submenu: [
      command('importClients'),
      command('exportHistory'),
      { type: 'separator' },
      command('syncNow'),
      command('switchAgent'),
      ...(options.storage
        ? ([
            { type: 'separator' },
            { id: 'backupDatabase', label: w.backupDatabase, click: () => options.storage?.backup() },
            { id: 'restoreDatabase', label: w.restoreDatabase, click: () => options.storage?.restore() },
          ] as const)
        : []),
      ...(isMac ? [] : ([{ type: 'separator' }, command('openSettings'), { type: 'separator' }, { role: 'quit', label: w.quit }] as const)),
    ],
  };
  const edit: MenuItemConstructorOptions = {
    label: w.edit,
    submenu: [
      { role: 'undo', label: w.undo },
      { role: 'redo', label: w.redo },
      { type: 'separator' },
      { role: 'cut', label: w.cut },
      { role: 'copy', label: w.copy },
      { role: 'paste', label: w.paste },
      { role: 'selectAll', label: w.selectAll },
    ],
  };
  const attempts: MenuItemConstructorOptions = {
    label: w.attempts,
    submenu: [
      command('focusSearch'),
      { type: 'separator' },
      command('recordSuccess'),
      command('recordFailure'),
      command('chooseReason'),
      { type: 'separator' },
      command('undoLast', { registerAccelerator: false }),
      { type: 'separator' },
      command('nextClient'),
      command('openCallbacks'),
    ],
  };
  const view: MenuItemConstructorOptions = {
    label: w.view,
    submenu: [
      ...(options.isPackaged
        ? []
        : ([{ role: 'reload', label: w.reload }, { role: 'toggleDevTools', label: w.devTools }, { type: 'separator' }] as const)),
      { role: 'resetZoom', label: w.resetZoom },
      { role: 'zoomIn', label: w.zoomIn },
      { role: 'zoomOut', label: w.zoomOut },
      { type: 'separator' },
      { role: 'togglefullscreen', label: w.fullScreen },
    ],
  };
  const windowMenu: MenuItemConstructorOptions = {
    label: w.window,
    submenu: [
      { role: 'minimize', label: w.minimize },
      ...(isMac ? ([{ role: 'zoom' }, { type: 'separator' }, { role: 'front' }] as const) : ([{ role: 'close', label: w.close }] as const)),
    ],
  };
  const help: MenuItemConstructorOptions = {
    role: 'help',
    label: w.help,
    submenu: [
      command('showShortcuts'),
      ...(options.support
        ? ([{ type: 'separator' }, { id: 'exportDiagnostics', label: w.exportDiagnostics, click: () => options.support?.exportDiagnostics() }] as const)
        : []),
    ],
  };

  const macApp: MenuItemConstructorOptions = {
    role: 'appMenu',
    submenu: [
      { role: 'about' },
      { type: 'separator' },
      command('openSettings'),
      { type: 'separator' },
      { role: 'hide' },
      { role: 'hideOthers' },
      { role: 'unhide' },
      { type: 'separator' },
      { role: 'quit', label: w.quit },
    ],
  };
  return [...(isMac ? [macApp] : []), file, edit, attempts, view, windowMenu, help];
}

export function applyMenu(options: MenuOptions): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(buildMenuTemplate(options)));
}
