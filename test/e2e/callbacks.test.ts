// Call-backs in Chromium on the built interface (`npm run web`), keyboard only: "Rappeler…" on the
// client file, a quick choice that schedules at once, the worklist "À rappeler" (Alt+R) in its four
// groups, an attempt that closes the call-back, and the in-page notice when one falls due.

import { describe, expect, it } from 'vitest';
import { demoClient } from '../../db/demo.ts';
import { sessionPerTest, withServedDatabase, type DeskSession } from '../helpers/browser.ts';
import { DeskPage } from './desk-page.ts';

const client = demoClient(3);
const sessions = sessionPerTest();

async function open(): Promise<{ s: DeskSession; desk: DeskPage }> {
  const session = await sessions.open({ demoClients: 30, agentName: 'Awa Diallo' });
  await session.page.goto(session.server.url);
  const desk = new DeskPage(session.page);
  await desk.search.waitFor();
  return { s: session, desk };
}

/** The page's own wall clock (the test browser runs in Europe/Paris): what a datetime-local field holds. */
function pageLocal(at: Date): string {
  const parts = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(at);
  return parts.replace(' ', 'T');
}

const openCallbacks = (s: DeskSession) =>
  withServedDatabase(s.server, ({ db }) => db.selectFrom('callbacks').select(['client_code', 'state', 'for_agent_id']).orderBy('due_at').execute());

describe('call-backs in Chromium (npm run web)', () => {
  it('Rappeler… → Dans 1 h schedules at once; Alt+R lists it; an attempt closes it', async () => {
    const { s, desk } = await open();
    const page = s.page;
    await desk.openClient(client.code);
    await page.getByRole('button', { name: 'Rappeler…', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Rappeler ${client.name}` });
    await dialog.waitFor();
    // The first quick choice has the focus: Enter schedules, no confirmation.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Dans 1 h');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => openCallbacks(s)).toMatchObject([{ client_code: client.code, state: 'open' }]);
    expect((await openCallbacks(s))[0]?.for_agent_id).not.toBeNull();

    // For the whole team, by date and time.
    await page.getByRole('button', { name: 'Rappeler…', exact: true }).click();
    await dialog.waitFor();
    await dialog.getByRole('radio', { name: 'Pour toute l’équipe' }).check();
    await dialog.getByLabel('Date et heure').fill(pageLocal(new Date(Date.now() + 2 * 24 * 3600_000)));
    await dialog.getByRole('button', { name: 'Programmer le rappel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(async () => (await openCallbacks(s)).map((c) => c.for_agent_id === null)).toEqual([false, true]);

    await page.keyboard.press('Alt+r');
    const worklist = page.getByRole('dialog', { name: 'À rappeler' });
    await worklist.waitFor();
    // Four groups, by name and count ("later today" holds the one in an hour, unless that is tomorrow).
    const inAnHourIsToday = new Date(Date.now() + 3600_000).getDate() === new Date().getDate();
    for (const name of ['À rappeler maintenant (0)', 'En retard (0)', `Plus tard aujourd’hui (${inAnHourIsToday ? 1 : 0})`, `Plus tard (${inAnHourIsToday ? 1 : 2})`]) {
      await expect.poll(() => worklist.getByRole('region', { name, exact: true }).count()).toBe(1);
    }
    expect(await worklist.getByRole('button', { name: new RegExp(client.name) }).count()).toBe(2);
    await page.keyboard.press('Escape');
    await worklist.waitFor({ state: 'detached' });

    // The call is made: the attempt closes both (the agent's own and the team's).
    await page.keyboard.press('Alt+e');
    await desk.expectStatus('Injoignable');
    await expect.poll(async () => (await openCallbacks(s)).map((c) => c.state)).toEqual(['done', 'done']);
  });

  it('says in the page when a call-back falls due, with the way to its client', async () => {
    const { s, desk } = await open();
    const page = s.page;
    await desk.openClient(client.code);
    await page.getByRole('button', { name: 'Rappeler…', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Rappeler ${client.name}` });
    await dialog.waitFor();
    const soon = new Date(Date.now() + 60_000);
    await dialog.getByLabel('Date et heure').fill(pageLocal(soon));
    await dialog.getByRole('button', { name: 'Programmer le rappel' }).click();
    await dialog.waitFor({ state: 'detached' });
    // The page looks every 30 s; a reload looks at once (the watch starts with the workspace), after the due minute.
    const due = new Date(soon);
    due.setSeconds(0, 0);
    await new Promise((r) => setTimeout(r, Math.max(0, due.getTime() - Date.now() + 500)));
    await page.reload();
    await desk.search.waitFor();
    await expect.poll(() => page.getByText(`Rappel à faire : ${client.name}`).count(), { timeout: 10_000 }).toBe(1);
    expect(await page.getByRole('button', { name: 'À rappeler 1' }).count()).toBe(1);
  }, 120_000);
});
