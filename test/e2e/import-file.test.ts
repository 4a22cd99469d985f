// The import as the agent runs it in Chromium, on the built interface and the web bridge: the file
// goes to the database worker as a file (streamed upload, then read from disk), in any encoding
// Excel (France) saves, with the encoding and look-alike codes in the summary; "Annuler l'import"
// and Escape stop it after the chunk in progress.

import { closeSync, openSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sessionPerTest } from '../helpers/browser.ts';
import { DeskPage } from './desk-page.ts';

const sessions = sessionPerTest();
const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;

async function open() {
  const s = await sessions.open({ demoClients: 30, agentName: 'Awa Diallo' });
  await s.page.goto(s.server.url);
  const desk = new DeskPage(s.page);
  await desk.search.waitFor();
  await s.page.getByRole('button', { name: 'Importer des clients' }).click();
  const dialog = s.page.getByRole('dialog', { name: 'Importer des clients' });
  return { s, desk, dialog };
}

const figure = (dialog: import('playwright-core').Locator, term: string) => dialog.locator('dt', { hasText: term }).locator('xpath=following-sibling::dd').innerText();

describe('importing the files Excel (France) saves', () => {
  it('reads "CSV (séparateur : point-virgule)" (Windows-1252), says so, and warns about codes that lost their zeros', async () => {
    const { s, desk, dialog } = await open();
    await dialog.getByLabel('Fichier CSV').setInputFiles(fixture('clients-excel-windows-1252.csv'));
    await dialog.getByRole('button', { name: 'Importer' }).click();
    await dialog.getByRole('heading', { name: 'Résultat de l’import' }).waitFor();
    expect(await figure(dialog, 'Encodage')).toBe('Windows-1252');
    expect(await figure(dialog, 'Clients ajoutés')).toBe('12');
    const warning = dialog.locator('.import-lookalikes');
    expect(await warning.innerText()).toContain('1 code ressemble à un autre code');
    expect(await warning.innerText()).toContain('Ligne 13 : « 100400 » et « 0000100400 »');
    expect(await dialog.locator('[aria-live="polite"]').first().innerText()).toContain('zéros de tête');
    await s.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await desk.search.fill('cœur noël');
    await s.page.getByRole('option', { name: /CŒUR Noël/ }).waitFor();
    // The upload kept on disk for the worker is gone once read.
    expect(readdirSync(join(s.dataDir, 'imports'))).toEqual([]);
  });

  it('reads "Texte Unicode" (UTF-16LE, tabs) and says so', async () => {
    const { dialog } = await open();
    await dialog.getByLabel('Fichier CSV').setInputFiles(fixture('clients-excel-unicode.txt'));
    await dialog.getByRole('button', { name: 'Importer' }).click();
    await dialog.getByRole('heading', { name: 'Résultat de l’import' }).waitFor();
    expect(await figure(dialog, 'Encodage')).toBe('UTF-16 LE (Texte Unicode)');
    expect(await figure(dialog, 'Clients ajoutés')).toBe('11');
    expect(await figure(dialog, 'Lignes refusées')).toBe('0');
  });
});

describe('stopping an import', () => {
  it('"Annuler l’import" takes the focus, Escape stops it after the chunk in progress, and the summary says how far it got', async () => {
    const { s, dialog } = await open();
    const file = join(s.dataDir, 'big.csv');
    const lines = 200_000;
    const fd = openSync(file, 'w');
    let buffer = 'Code client;Nom;Ville\r\n';
    for (let i = 0; i < lines; i++) {
      buffer += `BIG${String(i).padStart(7, '0')};CLIENT Numéro ${i};Lyon\r\n`;
      if (buffer.length > 1 << 20) {
        writeSync(fd, buffer);
        buffer = '';
      }
    }
    writeSync(fd, buffer);
    closeSync(fd);
    await dialog.getByLabel('Fichier CSV').setInputFiles(file);
    await dialog.getByRole('button', { name: 'Importer' }).click();
    const stop = dialog.getByRole('button', { name: 'Annuler l’import' });
    await stop.waitFor();
    await expect.poll(() => s.page.evaluate(() => document.activeElement?.textContent ?? null)).toBe('Annuler l’import');
    // Some lines in, far from all of them.
    await dialog.getByText(/\d+ lignes lues/).waitFor({ timeout: 60_000 });
    await s.page.keyboard.press('Escape');
    await dialog.getByText('Arrêt après le lot en cours…').waitFor();
    await dialog.getByRole('heading', { name: 'Résultat de l’import' }).waitFor({ timeout: 60_000 });
    const status = await dialog.getByRole('status').innerText();
    expect(status).toMatch(/^Import annulé : les \d+ premières lignes sont enregistrées/);
    const done = Number((await figure(dialog, 'Lignes lues')).replace(/\D/g, ''));
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(lines);
    const counted = await s.server.database.call('getSettings', {});
    expect(counted.ok && counted.value.clientCount).toBe(30 + done);
  });
});
