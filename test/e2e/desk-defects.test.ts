// Defects found working a whole day at the desk (issue 12 §4–5), in a real Chromium on the built
// interface: reflow at 200 % zoom, toasts that leave the history readable, focus after a void and
// after an import, channel keys on AZERTY, phone numbers and their links.

import AxeBuilder from '@axe-core/playwright';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { readSheet } from 'read-excel-file/node';
import { describe, expect, it } from 'vitest';
import { exportWords } from '../../db/export.ts';
import { demoClient } from '../../db/demo.ts';
import { sessionPerTest, type SessionOptions } from '../helpers/browser.ts';
import { DeskPage } from './desk-page.ts';

const sessions = sessionPerTest();
const client = demoClient(3);

async function open(options: SessionOptions = {}) {
  const s = await sessions.open({ demoClients: 30, agentName: 'Awa Diallo', ...options });
  await s.page.goto(s.server.url);
  const desk = new DeskPage(s.page);
  await desk.search.waitFor();
  await desk.results.first().waitFor();
  return { s, desk };
}

type Box = { x: number; y: number; width: number; height: number };
const box = async (locator: Locator): Promise<Box> => {
  const b = await locator.boundingBox();
  if (!b) throw new Error('element not laid out');
  return b;
};
const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
async function seriousAxeViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
  return results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
}
const focusedText = (page: Page) => page.evaluate(() => document.activeElement?.textContent ?? null);

describe('200 % zoom: 512×384 CSS px (WCAG 1.4.10 reflow)', () => {
  it('shows one pane at a time, the list several rows high, nothing to scroll sideways', async () => {
    const { s, desk } = await open({ viewport: { width: 512, height: 384 } });
    const page = s.page;
    const list = page.getByRole('listbox');
    expect((await box(list)).height, 'the result list shows several rows').toBeGreaterThanOrEqual(3 * 60);
    const sideways = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(await sideways()).toBeLessThanOrEqual(0);

    expect(await seriousAxeViolations(page), 'axe on the list at 200 %').toEqual([]);

    await desk.openClient(client.code);
    await page.getByRole('heading', { level: 2, name: client.name }).waitFor();
    expect(await list.isVisible(), 'the list gives way to the file').toBe(false);
    expect(await seriousAxeViolations(page), 'axe on the file at 200 %').toEqual([]);
    expect(await sideways()).toBeLessThanOrEqual(0);
    await desk.recordSuccess.click();
    await desk.expectStatus('Notifié');

    const back = page.getByRole('button', { name: 'Retour à la liste' });
    await back.click();
    await list.waitFor();
    await expect.poll(() => desk.search.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await page.getByRole('heading', { level: 2, name: client.name }).count()).toBe(0);
  });

  it('keeps both panes side by side at the usual size, without the way back', async () => {
    const { s, desk } = await open();
    await desk.openClient(client.code);
    expect(await s.page.getByRole('listbox').isVisible()).toBe(true);
    expect(await s.page.getByRole('button', { name: 'Retour à la liste' }).isVisible()).toBe(false);
  });
});

describe('toasts and the history', () => {
  it('after a void, the name stays in view and focused, and the toast covers neither the entry nor the history’s end', async () => {
    const { s, desk } = await open();
    const page = s.page;
    await desk.openClient(client.code);
    await desk.recordFailure.click();
    await desk.expectHistory([['Injoignable']]);
    await desk.recordSuccess.click();
    await desk.expectHistory([['Notifié'], ['Injoignable']]);
    await desk.recordFailure.click();
    await desk.expectHistory([['Injoignable'], ['Notifié'], ['Injoignable']]);
    // The oldest entry sits low in the pane, where the toasts show.
    await page.getByRole('main').evaluate((el) => el.scrollTo({ top: el.scrollHeight }));

    // Void the oldest entry, at the bottom of the history.
    const oldest = desk.historyEntries.last();
    await oldest.getByRole('button', { name: 'Annuler la tentative…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Annuler la tentative' });
    await dialog.getByLabel('Motif de l’annulation (obligatoire)').fill('Mauvais numéro composé, client non joint');
    await dialog.getByRole('button', { name: 'Confirmer l’annulation' }).click();
    await dialog.waitFor({ state: 'detached' });
    const toast = page.locator('.toast').filter({ hasText: `Tentative annulée : Injoignable — ${client.name}` });
    await toast.waitFor();

    const name = page.getByRole('heading', { level: 2, name: client.name });
    await expect.poll(() => focusedText(page)).toBe(client.name);
    const pane = await box(page.getByRole('main'));
    const title = await box(name);
    expect(title.y, 'the name is not scrolled away').toBeGreaterThanOrEqual(pane.y);
    expect(title.y + title.height).toBeLessThanOrEqual(pane.y + pane.height);
    const reason = oldest.locator('.void-info');
    await expect.poll(async () => (await reason.innerText()).includes('Mauvais numéro composé')).toBe(true);
    expect(overlaps(await box(reason), await box(toast)), 'the toast covers the void reason').toBe(false);

    // Scrolled to its end, the history clears every toast.
    await desk.recordFailure.click();
    await desk.undoToast.waitFor();
    await page.getByRole('main').evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    const end = await box(desk.historyEntries.last());
    for (const shown of await page.locator('.toast').all()) {
      expect(overlaps(end, await box(shown)), 'a toast covers the end of the history').toBe(false);
    }
  });
});

describe('focus, keys and numbers', () => {
  it('the import summary takes the focus and Escape closes it', async () => {
    const { s } = await open();
    const page = s.page;
    const file = join(s.dataDir, 'clients.csv');
    writeFileSync(file, 'Code client;Nom;Téléphone\nX-1;NOUVEAU Client;+33 6 11 22 33 44\n');
    await page.getByRole('button', { name: 'Importer des clients' }).click();
    const dialog = page.getByRole('dialog', { name: 'Importer des clients' });
    await dialog.getByLabel('Fichier CSV').setInputFiles(file);
    await dialog.getByRole('button', { name: 'Importer' }).click();
    await dialog.getByRole('heading', { name: 'Résultat de l’import' }).waitFor();
    await expect.poll(() => focusedText(page)).toBe('Résultat de l’import');
    expect(await dialog.locator('[aria-live="polite"]').first().innerText()).toContain('1 client ajouté');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('channel keys work on AZERTY (é is Digit2) and on the numpad', async () => {
    const { s, desk } = await open();
    const page = s.page;
    await desk.openClient(client.code);
    await page.getByRole('heading', { level: 2, name: client.name }).click();
    const press = (key: string, code: string) =>
      page.evaluate(([k, c]) => document.body.dispatchEvent(new KeyboardEvent('keydown', { key: k, code: c, bubbles: true, cancelable: true })), [key, code] as const);
    await press('é', 'Digit2');
    await expect.poll(() => page.getByRole('radio', { name: /WhatsApp/ }).isChecked()).toBe(true);
    await page.keyboard.press('Numpad4');
    await expect.poll(() => page.getByRole('radio', { name: /SMS/ }).isChecked()).toBe(true);
  });

  it('shows a number in French national form as a tel: link, with WhatsApp beside it, and finds it in international form', async () => {
    const { s, desk } = await open();
    const page = s.page;
    const phone = client.phones[0]!;
    const national = `0${phone.replace(/\D/g, '').replace(/^33/, '').replace(/^0/, '')}`.replace(/(\d{2})(?=\d)/g, '$1 ');
    const international = `+33${national.replace(/\s/g, '').slice(1)}`;
    await desk.openClient(international, client.code);
    const call = page.getByRole('link', { name: national, exact: true });
    expect(await call.getAttribute('href')).toBe(`tel:${international}`);
    const whatsApp = page.getByRole('link', { name: `WhatsApp ${national}` });
    expect(await whatsApp.getAttribute('href')).toBe(`https://wa.me/${international.slice(1)}`);
    expect(await whatsApp.getAttribute('target')).toBe('_blank');
  });

  it('exports an .xlsx by default (codes as text) and a CSV on request, both downloaded', async () => {
    const { s, desk } = await open();
    const page = s.page;
    await desk.openClient(client.code);
    await desk.recordFailure.click();
    await desk.expectStatus('Injoignable');

    const exportOnce = async (pick?: string) => {
      await page.getByRole('button', { name: 'Exporter l’historique' }).click();
      const dialog = page.getByRole('dialog', { name: 'Exporter l’historique' });
      if (pick) await dialog.getByRole('radio', { name: pick }).check();
      const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Exporter' }).click()]);
      await dialog.waitFor({ state: 'detached' });
      const path = await download.path();
      return { name: download.suggestedFilename(), path };
    };
    const workbook = await exportOnce();
    expect(workbook.name).toMatch(/^historique-notifications_.+\.xlsx$/);
    const sheet = (await readSheet(workbook.path)) as unknown[][];
    expect(sheet[0]).toEqual(exportWords.fr.header);
    expect(sheet[1]?.[3]).toBe(client.code); // zeros kept
    expect(sheet[1]?.[0]).toBeInstanceOf(Date);

    const csv = await exportOnce('CSV (séparateur « ; »)');
    expect(csv.name).toMatch(/^historique-notifications_.+\.csv$/);
  });
});
