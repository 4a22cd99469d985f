// The agent's day in a real Chromium on the built interface, with the real database behind
// `npm run web`: record, undo, record again, reload; the same with the keyboard only; import a CSV
// with a bad line; void with a reason; switch language. Each test starts on its own data folder.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoClient } from '../../db/demo.ts';
import { sessionPerTest, withServedDatabase, type DeskSession } from '../helpers/browser.ts';
import { DeskPage, words } from './desk-page.ts';

const agent = 'Awa Diallo';
// Demo clients are deterministic: the test knows who is in the list.
const client = demoClient(3);
const otherClient = demoClient(11);

const sessions = sessionPerTest();

async function open(options: Parameters<typeof sessions.open>[0] = {}): Promise<{ s: DeskSession; desk: DeskPage }> {
  const session = await sessions.open({ demoClients: 30, agentName: agent, ...options });
  await session.page.goto(session.server.url);
  const desk = new DeskPage(session.page);
  await desk.search.waitFor();
  return { s: session, desk };
}

async function storedAttempts(s: DeskSession) {
  return withServedDatabase(s.server, async ({ db }) => ({
    attempts: await db.selectFrom('attempts').selectAll().orderBy('occurred_at').execute(),
    voids: await db.selectFrom('voids').selectAll().execute(),
  }));
}

describe('agent flows in Chromium (npm run web)', () => {
  it('search → open → Notifier (Succès) → undo → Notifier (Échec/Injoignable) → reload: all kept, the undone one voided', async () => {
    const { s, desk } = await open();
    await desk.openClient(client.code);
    expect(await s.page.getByRole('heading', { level: 2, name: client.name }).count()).toBe(1);
    await desk.expectStatus('Jamais notifié');

    await desk.recordSuccess.click();
    await desk.expectStatus('Notifié');
    await desk.expectHistory([['Notifié', agent]]);
    await desk.undoToast.waitFor();
    const toast = await desk.undoToast.innerText();
    // What was recorded for whom, then the way back.
    expect(toast).toMatch(new RegExp(`Enregistré : Notifié — ${client.name}\\s*—\\s*Annuler`));
    await expect.poll(() => desk.result(client.code).innerText()).toContain('Notifié');

    await desk.undoButton.click();
    await desk.expectStatus('Jamais notifié');
    await desk.expectHistory([['Notifié', 'Annulée par Awa Diallo']]);
    expect(await DeskPage.struckThrough(desk.historyEntries.first().locator('del'))).toBe(true);

    await desk.recordFailure.click();
    await desk.expectStatus('Injoignable');
    await desk.expectHistory([['Injoignable', agent], ['Notifié', 'Annulée par Awa Diallo']]);

    await s.page.reload();
    await desk.openClient(client.code);
    await desk.expectStatus('Injoignable');
    await desk.expectHistory([['Injoignable', agent], ['Notifié', 'Annulée par Awa Diallo']]);
    expect(await DeskPage.struckThrough(desk.historyEntries.nth(1).locator('del'))).toBe(true);
    expect(await desk.historyEntries.first().locator('del').count()).toBe(0);

    // The list agrees with the file, and the status filters sort it.
    await desk.search.fill('');
    await desk.filter('failure').check();
    await expect.poll(() => desk.results.allInnerTexts()).toEqual([expect.stringContaining(client.code)]);
    await desk.filter('never').check();
    await expect.poll(async () => (await desk.results.allInnerTexts()).some((t) => t.includes(client.code))).toBe(false);
    await expect.poll(() => desk.results.count()).toBeGreaterThan(0);
    await desk.filter('success').check();
    await expect.poll(() => s.page.getByText('Aucun client ne correspond à cette recherche.').count()).toBe(1);
    await desk.filter('all').check();
    await expect.poll(async () => (await desk.results.allInnerTexts()).some((t) => t.includes(client.code))).toBe(true);

    const { attempts, voids } = await storedAttempts(s);
    expect(attempts.map((a) => [a.client_code, a.status])).toEqual([
      [client.code, 'success'],
      [client.code, 'failure'],
    ]);
    expect(voids).toHaveLength(1);
    expect(voids[0]!.attempt_id).toBe(attempts[0]!.id);
  });

  it('does the same with the keyboard only: / or Ctrl+K, ↓, Enter, Alt+S, Ctrl+Z, Alt+E, ?', async () => {
    const { s, desk } = await open();
    const keys = s.page.keyboard;
    const searchFocused = () => desk.search.evaluate((el) => el === document.activeElement);

    await keys.press('/');
    await expect.poll(searchFocused).toBe(true);
    await keys.type(client.code);
    await expect.poll(() => desk.results.allInnerTexts()).toEqual([expect.stringContaining(client.code)]);
    await keys.press('ArrowDown');
    await expect.poll(() => desk.results.first().getAttribute('aria-selected')).toBe('true');
    await keys.press('Enter');
    await desk.expectStatus('Jamais notifié');

    await keys.press('Alt+KeyS');
    await desk.expectStatus('Notifié');
    await desk.undoToast.waitFor();
    // Ctrl+Z in a text field undoes typing there; from the search field the agent tabs out first.
    await leaveTextField(s);
    await keys.press('Control+KeyZ');
    await desk.expectStatus('Jamais notifié');
    await desk.expectHistory([['Notifié', 'Annulée par Awa Diallo']]);

    await keys.press('Alt+KeyE');
    await desk.expectStatus('Injoignable');

    await keys.press('Control+KeyK');
    await expect.poll(searchFocused).toBe(true);
    await leaveTextField(s);
    await keys.press('?');
    const overlay = s.page.getByRole('dialog', { name: words.fr.shortcuts });
    await overlay.waitFor();
    expect(await overlay.innerText()).toContain('Alt+S');
    await keys.press('Escape');
    await overlay.waitFor({ state: 'detached' });

    await s.page.reload();
    await desk.search.waitFor();
    await keys.press('/');
    await expect.poll(searchFocused).toBe(true);
    await keys.type(client.code);
    await expect.poll(() => desk.results.allInnerTexts()).toEqual([expect.stringContaining(client.code)]);
    await keys.press('ArrowDown');
    await keys.press('Enter');
    await desk.expectStatus('Injoignable');
    await desk.expectHistory([['Injoignable', agent], ['Notifié', 'Annulée par Awa Diallo']]);

    // ↑/↓ walk the list from the search field.
    await desk.search.fill('');
    await expect.poll(() => desk.results.count()).toBeGreaterThan(2);
    await desk.search.focus();
    await keys.press('ArrowDown');
    await keys.press('ArrowDown');
    await keys.press('ArrowUp');
    await expect.poll(() => desk.results.first().getAttribute('aria-selected')).toBe('true');

    const { attempts, voids } = await storedAttempts(s);
    expect(attempts.map((a) => a.status)).toEqual(['success', 'failure']);
    expect(voids).toHaveLength(1);
  });

  it('voids an attempt with a reason: struck through with who, when and why, status recomputed', async () => {
    const { s, desk } = await open();
    await desk.openClient(otherClient.code);
    await desk.recordFailure.click();
    await desk.expectStatus('Injoignable');
    await desk.recordSuccess.click();
    await desk.expectStatus('Notifié');
    await desk.expectHistory([['Notifié'], ['Injoignable']]);

    await desk.historyEntries.first().getByRole('button', { name: 'Annuler la tentative…' }).click();
    const dialog = s.page.getByRole('dialog', { name: 'Annuler la tentative' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Confirmer l’annulation' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Indiquez un motif' }).waitFor();
    const reason = 'Mauvais client : notifié par erreur';
    await dialog.getByLabel('Motif de l’annulation (obligatoire)').fill(reason);
    await dialog.getByRole('button', { name: 'Confirmer l’annulation' }).click();
    await dialog.waitFor({ state: 'detached' });

    await desk.expectStatus('Injoignable');
    await desk.expectHistory([['Notifié', `Annulée par ${agent}`, reason], ['Injoignable', agent]]);
    const voided = desk.historyEntries.first();
    expect(await DeskPage.struckThrough(voided.locator('del'))).toBe(true);
    expect(await voided.innerText()).toMatch(/Annulée par Awa Diallo le \d{2}\/\d{2}\/\d{4}/);
    expect(await voided.getByRole('button', { name: 'Annuler la tentative…' }).count()).toBe(0);

    await s.page.reload();
    await desk.openClient(otherClient.code);
    await desk.expectStatus('Injoignable');
    await desk.expectHistory([['Notifié', reason], ['Injoignable']]);
    const { voids } = await storedAttempts(s);
    expect(voids.map((v) => v.reason)).toEqual([reason]);
  });

  it('imports a CSV with a malformed line: the summary names its line, the valid lines are searchable', async () => {
    const { s, desk } = await open({ demoClients: 5 });
    const file = join(s.dataDir, 'clients-agence-nord.csv');
    writeFileSync(
      file,
      [
        'Code client;Nom;Téléphone;Email;Ville',
        'NORD-001;FONTAINE Bérénice;+33 6 11 22 33 44;berenice.fontaine@exemple.fr;Lille',
        'NORD-002;;+33 6 55 66 77 88;;Lille',
        'NORD-003;KONÉ Moussa;07 12 34 56 78;;Dakar',
        '',
      ].join('\r\n'),
    );
    await s.page.getByRole('button', { name: 'Importer des clients' }).click();
    const dialog = s.page.getByRole('dialog', { name: 'Importer des clients' });
    await dialog.getByLabel('Fichier CSV').setInputFiles(file);
    await dialog.getByRole('button', { name: 'Importer', exact: true }).click();
    const rejected = dialog.getByRole('table', { name: 'Lignes refusées' });
    await rejected.waitFor();
    const rows = await rejected.getByRole('row').allInnerTexts();
    expect(rows.slice(1)).toEqual([expect.stringMatching(/^3\s+nom manquant$/)]);
    const figures = await dialog.innerText();
    expect(figures).toMatch(/Clients ajoutés\s+2/);
    expect(figures).toMatch(/Lignes refusées\s+1/);
    await dialog.getByRole('button', { name: 'Fermer' }).click();
    await dialog.waitFor({ state: 'detached' });

    await desk.search.fill('Fontaine');
    await expect.poll(() => desk.results.allInnerTexts()).toEqual([expect.stringContaining('NORD-001')]);
    await desk.search.fill('NORD');
    await expect.poll(async () => (await desk.results.allInnerTexts()).map((t) => /NORD-\d+/.exec(t)?.[0]).sort()).toEqual(['NORD-001', 'NORD-003']);
    await desk.openClient('NORD-003');
    await desk.expectStatus('Jamais notifié');
  });

  it('switches to English and back; the choice survives a reload', async () => {
    const { s, desk } = await open();
    const en = new DeskPage(s.page, words.en);

    await s.page.getByRole('button', { name: 'Paramètres', exact: true }).click();
    let dialog = s.page.getByRole('dialog', { name: 'Paramètres' });
    await dialog.getByRole('radio', { name: 'English' }).check();
    await dialog.getByRole('button', { name: 'Enregistrer', exact: true }).click();
    dialog = s.page.getByRole('dialog', { name: 'Settings' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });

    await en.search.waitFor();
    await en.filter('never').waitFor();
    expect(await s.page.evaluate(() => document.documentElement.lang)).toBe('en');
    await en.openClient(client.code);
    await en.recordSuccess.waitFor();
    await en.recordFailure.waitFor();
    await en.expectStatus('Never notified');

    await s.page.reload();
    await en.search.waitFor();
    expect(await desk.search.count()).toBe(0);
    await en.openClient(client.code);
    await en.recordSuccess.click();
    await en.expectStatus('Notified');
    await en.history.waitFor();

    await s.page.getByRole('button', { name: 'Settings', exact: true }).click();
    dialog = s.page.getByRole('dialog', { name: 'Settings' });
    await dialog.getByRole('radio', { name: 'Français' }).check();
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    dialog = s.page.getByRole('dialog', { name: 'Paramètres' });
    await dialog.getByRole('button', { name: 'Fermer', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await desk.search.waitFor();

    await s.page.reload();
    await desk.search.waitFor();
    expect(await s.page.evaluate(() => document.documentElement.lang)).toBe('fr');
    await desk.openClient(client.code);
    await desk.expectStatus('Notifié');
    await desk.history.waitFor();
    expect(await en.search.count()).toBe(0);
  });
});

/** Tab until the focus is out of text fields, as an agent would, so page keys (Ctrl+Z, ?) reach the app. */
async function leaveTextField(s: DeskSession): Promise<void> {
  const inTextField = () =>
    s.page.evaluate(() => {
      const el = document.activeElement;
      return el instanceof HTMLTextAreaElement || (el instanceof HTMLInputElement && !['radio', 'checkbox', 'button'].includes(el.type));
    });
  for (let i = 0; i < 5 && (await inTextField()); i++) await s.page.keyboard.press('Tab');
  expect(await inTextField()).toBe(false);
}
