// A shared workstation in a real Chromium on the built interface, with the real database behind
// `npm run web`: the first run with a PIN, "Changer d'agent" (Ctrl+Shift+L), "Nouvel agent", a wrong
// PIN, each attempt attributed to whoever was signed in; the lock after the idle delay; and
// `--agent NAME` still signing in without a PIN.

import { describe, expect, it } from 'vitest';
import { demoClient } from '../../db/demo.ts';
import { sessionPerTest, withServedDatabase } from '../helpers/browser.ts';
import { DeskPage } from './desk-page.ts';

const sessions = sessionPerTest();

describe('agents sign in on a shared workstation (Chromium, npm run web)', () => {
  it('first run with a PIN, then two agents alternate: every attempt names who was signed in', async () => {
    const s = await sessions.open({ demoClients: 30 });
    const { page } = s;
    await page.goto(s.server.url);
    // Without --agent, the first run.
    await page.getByLabel('Votre nom').fill('Awa Diallo');
    await page.getByLabel('Code PIN', { exact: true }).fill('1234');
    await page.getByLabel('Confirmez le code PIN').fill('1234');
    await page.getByRole('button', { name: 'Commencer' }).click();
    const desk = new DeskPage(page);
    await desk.search.waitFor();
    await page.getByText('Agent : Awa Diallo').waitFor();
    await desk.openClient(demoClient(3).code);
    await desk.recordSuccess.click();
    await desk.expectStatus('Notifié');

    await page.keyboard.press('Control+Shift+L');
    await page.getByRole('heading', { name: 'Connexion' }).waitFor();
    await page.getByRole('button', { name: 'Nouvel agent' }).click();
    await page.getByLabel('Votre nom').fill('Marc Petit');
    await page.getByLabel('Code PIN', { exact: true }).fill('5678');
    await page.getByLabel('Confirmez le code PIN').fill('5678');
    await page.getByRole('button', { name: 'Commencer' }).click();
    await page.getByText('Agent : Marc Petit').waitFor();
    await desk.openClient(demoClient(11).code);
    await desk.recordFailure.click();
    await desk.expectStatus('Injoignable');

    await page.getByRole('button', { name: 'Changer d’agent' }).click();
    await page.getByLabel('Agent', { exact: true }).selectOption({ label: 'Awa Diallo' });
    await page.getByLabel('Code PIN').fill('5678');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('alert').filter({ hasText: 'Code PIN incorrect.' }).waitFor();
    await page.getByLabel('Code PIN').fill('1234');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByText('Agent : Awa Diallo').waitFor();
    // A reload keeps the agent signed in (the session is the desk's, not the page's).
    await page.reload();
    await page.getByText('Agent : Awa Diallo').waitFor();

    const rows = await withServedDatabase(s.server, ({ db }) =>
      db.selectFrom('attempts').select(['client_code', 'agent_name', 'agent_id']).orderBy('occurred_at').orderBy('id').execute(),
    );
    expect(rows.map((r) => [r.client_code, r.agent_name])).toEqual([
      [demoClient(3).code, 'Awa Diallo'],
      [demoClient(11).code, 'Marc Petit'],
    ]);
    expect(rows[0]!.agent_id).not.toBe(rows[1]!.agent_id);
  });

  it('locks after the idle delay; the PIN unlocks; --agent NAME signs in without a PIN', async () => {
    const s = await sessions.open({ demoClients: 30, agentName: 'Awa Diallo' });
    const { page } = s;
    await withServedDatabase(s.server, async (_local, handlers) => {
      await handlers.updateSettings({ lockAfterMinutes: 1 });
    });
    await page.clock.install();
    await page.goto(s.server.url);
    const desk = new DeskPage(page);
    await desk.search.waitFor();
    await page.getByText('Agent : Awa Diallo').waitFor();
    await page.clock.runFor(30_000);
    await page.keyboard.press('ArrowDown'); // activity puts the lock off
    await page.clock.runFor(45_000);
    expect(await page.getByRole('heading', { name: 'Session verrouillée' }).count()).toBe(0);
    await page.clock.runFor(20_000);
    await page.getByRole('heading', { name: 'Session verrouillée' }).waitFor();
    // A profile made by --agent has no PIN yet: its agent chooses one to unlock.
    await page.getByLabel('Code PIN', { exact: true }).fill('2468');
    await page.getByLabel('Confirmez le code PIN').fill('2468');
    await page.getByRole('button', { name: 'Déverrouiller' }).click();
    await desk.search.waitFor();
    const events = await withServedDatabase(s.server, ({ db }) => db.selectFrom('agent_events').select('kind').orderBy('seq').execute());
    expect(events.map((e) => e.kind)).toEqual(['signIn', 'lock', 'unlock']);
  });
});
