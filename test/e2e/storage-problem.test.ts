// A damaged or missing base, as the agent meets it in Chromium through the web bridge (the same
// database worker as the app): the dialog names the cause and offers the two ways out, and the
// chosen one brings the desk back.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClientPage, Result } from '../../contract/index.ts';
import { startDatabase } from '../../db/database-client.ts';
import { sessionPerTest } from '../helpers/browser.ts';
import { tempDir } from '../helpers/local-db.ts';
import { databaseFileName } from '../../web/server.ts';
import { DeskPage } from './desk-page.ts';

const sessions = sessionPerTest();

/** A data folder a desk has used and closed (so it holds a backup and its device marker). */
async function usedDataDir(): Promise<{ dataDir: string; code: string }> {
  const dataDir = tempDir('desk-web-storage-');
  const database = await startDatabase({ file: join(dataDir, databaseFileName), emit: () => undefined, backupIntervalMs: 0 });
  await database.call('updateSettings', { agentName: 'Awa Diallo' });
  await database.call('seedDemoClients', { count: 5 });
  const page = (await database.call('searchClients', { limit: 1 })) as Result<ClientPage>;
  await database.stop();
  return { dataDir, code: page.ok ? page.value.items[0]!.code : '' };
}

describe('a bad base at start, in the browser', () => {
  it('damaged: "Base locale endommagée", then "Restaurer la dernière sauvegarde" brings the desk back', async () => {
    const { dataDir, code } = await usedDataDir();
    writeFileSync(join(dataDir, databaseFileName), Buffer.alloc(4096, 0x42));
    const s = await sessions.open({ dataDir });
    await s.page.goto(s.server.url);
    const dialog = s.page.getByRole('alertdialog', { name: 'Base locale endommagée' });
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('restaurez la dernière sauvegarde ou repartez d’une base vide');
    expect(await s.page.getByRole('button', { name: 'Repartir d’une base vide' }).isEnabled()).toBe(true);

    await s.page.getByRole('button', { name: 'Restaurer la dernière sauvegarde' }).click();
    const desk = new DeskPage(s.page);
    await desk.search.waitFor();
    await desk.openClient(code);
    await desk.expectStatus('Jamais notifié');
  });

  it('missing: "Base locale introuvable", then "Repartir d’une base vide" opens an empty desk', async () => {
    const { dataDir } = await usedDataDir();
    rmSync(join(dataDir, databaseFileName));
    const s = await sessions.open({ dataDir });
    await s.page.goto(s.server.url);
    await s.page.getByRole('alertdialog', { name: 'Base locale introuvable' }).waitFor();
    await s.page.getByRole('button', { name: 'Repartir d’une base vide' }).click();
    // A new base: the agent's name is asked again, as on a first start.
    await s.page.getByRole('heading', { name: 'Bienvenue dans Notification Desk' }).waitFor();
  });
});
