// "Client suivant" in Chromium (`npm run web`), keyboard only: Alt+N opens the queue's next client
// (never attempted first, in name order), and with the setting on the desk moves by itself once
// the reason is given right after the click.

import { describe, expect, it } from 'vitest';
import { sessionPerTest, type DeskSession } from '../helpers/browser.ts';
import { DeskPage } from './desk-page.ts';

const sessions = sessionPerTest();

async function open(): Promise<{ s: DeskSession; desk: DeskPage }> {
  const session = await sessions.open({ demoClients: 5, agentName: 'Awa Diallo' });
  await session.page.goto(session.server.url);
  const desk = new DeskPage(session.page);
  await desk.search.waitFor();
  return { s: session, desk };
}

const fileTitle = (s: DeskSession) => s.page.getByRole('heading', { level: 2 }).innerText();

describe('"Client suivant" in Chromium (npm run web)', () => {
  it('Alt+N opens the next client never attempted; with auto-advance, giving the reason moves on', async () => {
    const { s } = await open();
    const page = s.page;
    expect(await page.getByRole('button', { name: 'Client suivant' }).count()).toBe(1);
    await page.keyboard.press('Alt+n');
    await expect.poll(() => page.getByRole('heading', { level: 2 }).count()).toBe(1);
    const first = await fileTitle(s);
    await page.keyboard.press('Alt+n');
    await expect.poll(() => fileTitle(s)).not.toBe(first);
    const second = await fileTitle(s);

    // The setting: move by itself after recording.
    await page.getByRole('button', { name: 'Paramètres' }).click();
    const settings = page.getByRole('dialog', { name: 'Paramètres' });
    await settings.getByRole('checkbox', { name: /passer seul au client suivant/ }).check();
    await settings.getByRole('button', { name: 'Enregistrer', exact: true }).click();
    await expect.poll(() => page.getByText('Paramètres enregistrés').count()).toBeGreaterThan(0);
    await page.keyboard.press('Escape');
    await settings.waitFor({ state: 'detached' });

    await page.keyboard.press('Alt+e');
    const motif = page.getByRole('group', { name: 'Motif', exact: true });
    await motif.getByRole('button', { name: 'Pas de réponse', exact: true }).click();
    await expect.poll(() => fileTitle(s)).not.toBe(second);
    expect(await page.getByText(/Client suivant : .* \(jamais appelé\)/).count()).toBeGreaterThan(0);
  });
});
