// axe-core on each screen an agent meets, in Chromium on the built interface: no serious or critical
// violation. Lesser findings are printed, so they are seen without blocking.

import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { demoClient } from '../../db/demo.ts';
import { sessionPerTest, withServedDatabase } from '../helpers/browser.ts';
import { DeskPage, words } from './desk-page.ts';

const sessions = sessionPerTest();

async function scan(page: Page, screen: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
  const describe = (v: (typeof results.violations)[number]) =>
    `${v.impact} ${v.id}: ${v.help} — ${v.nodes
      .slice(0, 3)
      .map((n) => n.target.join(' '))
      .join(' | ')}`;
  const blocking = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const minor = results.violations.filter((v) => !blocking.includes(v));
  if (minor.length > 0) console.log(`[axe] ${screen}: minor findings\n  ${minor.map(describe).join('\n  ')}`);
  expect(blocking.map(describe), `serious or critical axe violations on ${screen}`).toEqual([]);
  expect(results.passes.length, `axe ran its checks on ${screen}`).toBeGreaterThan(10);
}

/** A workspace with 40 demo clients, one of them opened with a voided and a live attempt. */
async function workspaceWithHistory(): Promise<{ page: Page; desk: DeskPage }> {
  const session = await sessions.open({ demoClients: 40, agentName: 'Awa Diallo' });
  const { page } = session;
  const desk = new DeskPage(page);
  await page.goto(session.server.url);
  await desk.search.waitFor();
  await desk.results.first().waitFor();
  return { page, desk };
}

async function openClientWithHistory(desk: DeskPage): Promise<void> {
  await desk.openClient(demoClient(7).code);
  await desk.recordFailure.click();
  await desk.expectStatus('Injoignable');
  await desk.undoButton.click();
  await desk.expectStatus('Jamais notifié');
  await desk.recordSuccess.click();
  await desk.expectStatus('Notifié');
  await desk.expectHistory([['Notifié'], ['Injoignable', 'Annulée par']]);
}

// One screen per test, so that a finding on one does not hide the others.
describe('accessibility (axe-core) of the main screens', () => {
  it('workspace (client list)', async () => {
    const { page } = await workspaceWithHistory();
    await scan(page, 'workspace');
  });

  it('client file with its history and the undo toast', async () => {
    const { page, desk } = await workspaceWithHistory();
    await openClientWithHistory(desk);
    await scan(page, 'client file with history and the undo toast');
  });

  it('settings dialog', async () => {
    const { page } = await workspaceWithHistory();
    await page.getByRole('button', { name: words.fr.settings, exact: true }).click();
    await page.getByRole('dialog', { name: words.fr.settings }).waitFor();
    await scan(page, 'settings dialog');
  });

  it('shortcut overlay', async () => {
    const { page } = await workspaceWithHistory();
    await page.keyboard.press('?');
    await page.getByRole('dialog', { name: words.fr.shortcuts }).waitFor();
    await scan(page, 'shortcut overlay');
  });

  it('first run (no agent yet), then the onboarding of an empty base', async () => {
    const session = await sessions.open({});
    const { page } = session;
    await page.goto(session.server.url);
    await page.getByRole('heading', { name: 'Bienvenue dans Notification Desk' }).waitFor();
    await page.getByLabel('Votre nom').waitFor();
    await scan(page, 'first run');

    await page.getByLabel('Votre nom').fill('Awa Diallo');
    await page.getByLabel('Code PIN', { exact: true }).fill('1234');
    await page.getByLabel('Confirmez le code PIN').fill('1234');
    await page.getByRole('button', { name: 'Commencer' }).click();
    await new DeskPage(page).search.waitFor();
    await page.getByRole('heading', { name: 'Aucun client pour l’instant' }).waitFor();
    await scan(page, 'workspace without clients (onboarding)');

    await page.keyboard.press('Control+Shift+L');
    await page.getByRole('heading', { name: 'Connexion' }).waitFor();
    await scan(page, 'sign-in screen');
    await page.getByLabel('Code PIN').fill('12');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('alert').waitFor();
    await scan(page, 'sign-in screen with its error');
    await page.getByLabel('Code PIN').fill('1234');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await new DeskPage(page).search.waitFor();
    await withServedDatabase(session.server, async (_local, desk) => {
      await desk.lockSession({});
    });
    await page.reload();
    await page.getByRole('heading', { name: 'Session verrouillée' }).waitFor();
    await scan(page, 'lock screen');
  });
});
