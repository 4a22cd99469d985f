// The menu's "Sauvegarder la base…" and "Restaurer une sauvegarde…": native file dialogs in main,
// then the work in the database worker (db/base-keeper.ts). The chosen paths never come from the
// page, so they go over the worker's maintenance messages rather than the contract's operations.

import { join } from 'node:path';
import { dialog, type BrowserWindow } from 'electron';
import type { Locale } from '../contract/errors.ts';
import type { BackupSummary, RecoveryOutcome } from '../contract/model.ts';
import { backupsDirName } from '../db/database-messages.ts';
import type { DatabaseClient } from '../db/database-client.ts';

const words = {
  fr: {
    backupTitle: 'Sauvegarder la base locale',
    restoreTitle: 'Restaurer une sauvegarde',
    filter: 'Base Notification Desk',
    confirm: 'Restaurer cette sauvegarde ?',
    confirmDetail:
      'La base actuelle est mise de côté dans le dossier des données. Les tentatives pas encore synchronisées sont reprises dans la base restaurée.',
    restore: 'Restaurer',
    cancel: 'Annuler',
    saved: (file: string) => `Sauvegarde enregistrée : ${file}`,
    restored: (carried: number) => `Sauvegarde restaurée. ${carried} tentative(s) ou annulation(s) non synchronisée(s) reprise(s).`,
    failed: 'L’opération a échoué',
  },
  en: {
    backupTitle: 'Back up the local database',
    restoreTitle: 'Restore a backup',
    filter: 'Notification Desk database',
    confirm: 'Restore this backup?',
    confirmDetail: 'The current database is set aside in the data folder. Attempts not yet synced are carried into the restored one.',
    restore: 'Restore',
    cancel: 'Cancel',
    saved: (file: string) => `Backup saved: ${file}`,
    restored: (carried: number) => `Backup restored. ${carried} unsynced attempt(s) or void(s) carried over.`,
    failed: 'The operation failed',
  },
} as const;

export interface StorageMenuContext {
  database: DatabaseClient;
  userDataDir: string;
  window(): BrowserWindow | null;
  locale(): Locale;
}

function stamp(at = new Date()): string {
  return at.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
}

export function createStorageMenu(ctx: StorageMenuContext): { backup(): Promise<void>; restore(): Promise<void> } {
  const filters = () => [{ name: words[ctx.locale()].filter, extensions: ['db'] }];

  async function tell(kind: 'info' | 'error', message: string, detail = ''): Promise<void> {
    const window = ctx.window();
    const options = { type: kind, message, detail, buttons: ['OK'] };
    await (window ? dialog.showMessageBox(window, options) : dialog.showMessageBox(options));
  }

  return {
    async backup() {
      const w = words[ctx.locale()];
      const window = ctx.window();
      const options = { title: w.backupTitle, defaultPath: join(ctx.userDataDir, `notification-desk-sauvegarde-${stamp()}.db`), filters: filters() };
      const chosen = await (window ? dialog.showSaveDialog(window, options) : dialog.showSaveDialog(options));
      if (chosen.canceled || !chosen.filePath) return;
      const result = await ctx.database.maintain({ action: 'backupTo', file: chosen.filePath });
      if (result.ok) await tell('info', w.saved(chosen.filePath), `${(result.value as BackupSummary).bytes} o`);
      else await tell('error', w.failed, result.error.message[ctx.locale()]);
    },
    async restore() {
      const w = words[ctx.locale()];
      const window = ctx.window();
      const options = {
        title: w.restoreTitle,
        defaultPath: join(ctx.userDataDir, backupsDirName),
        filters: filters(),
        properties: ['openFile' as const],
      };
      const chosen = await (window ? dialog.showOpenDialog(window, options) : dialog.showOpenDialog(options));
      const file = chosen.filePaths[0];
      if (chosen.canceled || !file) return;
      const confirm = { type: 'question' as const, message: w.confirm, detail: `${file}\n\n${w.confirmDetail}`, buttons: [w.restore, w.cancel], defaultId: 1, cancelId: 1 };
      const answer = await (window ? dialog.showMessageBox(window, confirm) : dialog.showMessageBox(confirm));
      if (answer.response !== 0) return;
      const result = await ctx.database.maintain({ action: 'restoreFrom', file });
      if (!result.ok) return tell('error', w.failed, result.error.message[ctx.locale()]);
      // The page reads everything again from the restored base.
      ctx.window()?.webContents.reload();
      await tell('info', w.restored((result.value as RecoveryOutcome).outboxCarried));
    },
  };
}
