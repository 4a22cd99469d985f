// Reasons in Chromium on the built interface (`npm run web`): the "Motif" group, before the click
// and right after it, by keyboard only; the reason in the history and the status bar; Alt+S and
// Alt+E still record at once with nothing picked.

import { describe, expect, it } from 'vitest';
import { demoClient } from '../../db/demo.ts';
import { sessionPerTest, withServedDatabase, type DeskSession } from '../helpers/browser.ts';
import { DeskPage } from './desk-page.ts';

const agent = 'Awa Diallo';
const client = demoClient(3);
const sessions = sessionPerTest();

async function open(): Promise<{ s: DeskSession; desk: DeskPage }> {
  const session = await sessions.open({ demoClients: 30, agentName: agent });
  await session.page.goto(session.server.url);
  const desk = new DeskPage(session.page);
  await desk.search.waitFor();
  return { s: session, desk };
}

async function storedReasons(s: DeskSession): Promise<string[]> {
  return withServedDatabase(s.server, async ({ db }) => {
    const rows = await db
      .selectFrom('attempt_reasons')
      .innerJoin('attempts', 'attempts.id', 'attempt_reasons.attempt_id')
      .select('attempt_reasons.code')
      .orderBy('attempts.occurred_at')
      .execute();
    return rows.map((r) => r.code);
  });
}

describe('reasons in Chromium (npm run web)', () => {
  it('picks a reason before the click, gives one right after it, and records at once with none', async () => {
    const { s, desk } = await open();
    await desk.openClient(client.code);
    const page = s.page;
    const group = page.getByRole('group', { name: 'Motif', exact: true });
    await group.waitFor();
    // Its choices carry the reasons' names.
    for (const name of ['Pas de réponse', 'Occupé', 'Faux numéro', 'Joint en personne', 'Message transmis à un proche']) {
      expect(await group.getByRole('radio', { name, exact: true }).count()).toBe(1);
    }

    // Before the click, keyboard only: Alt+M, arrows, then Alt+E.
    await page.keyboard.press('Alt+m');
    await expect.poll(() => page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.value ?? null)).toBe('');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => group.getByRole('radio', { name: 'Pas de réponse', exact: true }).isChecked()).toBe(true);
    await page.keyboard.press('Alt+e');
    await desk.expectStatus('Injoignable');
    await expect.poll(() => storedReasons(s)).toEqual(['no-answer']);
    await expect.poll(() => desk.historyEntries.first().innerText()).toContain('motif : Pas de réponse');

    // Right after the click: the group offers the reasons of that result, as buttons that give it at once.
    await page.keyboard.press('Alt+e');
    await expect.poll(() => desk.historyEntries.count()).toBe(2);
    const after = page.getByRole('group', { name: 'Motif', exact: true });
    await expect.poll(() => after.getByRole('button', { name: 'Faux numéro', exact: true }).count()).toBe(1);
    expect(await after.getByRole('button', { name: 'Joint en personne', exact: true }).count()).toBe(0);
    await page.keyboard.press('Alt+m');
    // The first choice has the focus; Tab to "Occupé", Enter gives it.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => storedReasons(s)).toEqual(['no-answer', 'busy']);
    await expect.poll(() => desk.historyEntries.first().innerText()).toContain('motif : Occupé');
    await expect.poll(() => after.getByRole('button', { name: 'Occupé', exact: true }).getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => page.locator('.statusbar').innerText()).toContain('Motifs : Occupé 1, Pas de réponse 1');

    // Nothing picked: Alt+S records at once, without a reason.
    await page.keyboard.press('Alt+s');
    await expect.poll(() => desk.historyEntries.count()).toBe(3);
    await desk.expectStatus('Notifié');
    expect(await storedReasons(s)).toEqual(['no-answer', 'busy']);
    const attempts = await withServedDatabase(s.server, ({ db }) => db.selectFrom('attempts').select('id').execute());
    expect(attempts).toHaveLength(3);
  });
});
