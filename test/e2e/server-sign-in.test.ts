// A desk enrolled with a device code, in a real Chromium through `npm run web -- --server URL
// --enrolment-code CODE`: agents sign in with their login and PIN against the server (a scripted
// issue-9 server over real HTTP, test/helpers/sign-in-server.ts), keyboard only; "Changer d'agent"
// (Ctrl+Shift+L); a wrong PIN; the lock screen; both languages; no serious axe violation; each
// attempt pushed with its own agent's token.

import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoClient } from '../../db/demo.ts';
import { sessionPerTest, withServedDatabase } from '../helpers/browser.ts';
import { startSignInServer, type SignInServer } from '../helpers/sign-in-server.ts';
import { DeskPage } from './desk-page.ts';

const sessions = sessionPerTest();

async function scan(page: Page, screen: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
  const blocking = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const minor = results.violations.filter((v) => !blocking.includes(v));
  if (minor.length > 0) console.log(`[axe] ${screen}: minor findings ${minor.map((v) => v.id).join(', ')}`);
  expect(blocking.map((v) => `${v.impact} ${v.id}: ${v.help}`), `serious or critical axe violations on ${screen}`).toEqual([]);
  expect(results.passes.length).toBeGreaterThan(10);
}

describe('agents sign in against the server on an enrolled desk (Chromium, npm run web --server)', () => {
  let server: SignInServer;
  beforeAll(async () => {
    server = await startSignInServer();
    server.addAgent({ agentId: 'agent-awa', login: 'awa', name: 'Awa Diallo', secret: '246810' });
    server.addAgent({ agentId: 'agent-marc', login: 'marc', name: 'Marc Petit', secret: '135791' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('keyboard only: sign in, switch agent, a wrong PIN, the lock screen; French and English; each attempt goes with its agent’s token', async () => {
    const s = await sessions.open({ demoClients: 30, serverUrl: server.url, enrolmentCode: server.deviceCode });
    const { page } = s;
    await page.goto(s.server.url);
    await page.getByRole('heading', { name: 'Connexion' }).waitFor();
    await page.getByText('Saisissez votre identifiant et votre code PIN.').waitFor();
    await scan(page, 'server sign-in (fr)');
    // The login field has the focus; Tab reaches the PIN, Enter signs in.
    await page.keyboard.type('Awa');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('sign-in-secret');
    await page.keyboard.type('246810');
    await page.keyboard.press('Enter');
    await page.getByText('Agent : Awa Diallo').waitFor();
    const desk = new DeskPage(page);
    await desk.openClient(demoClient(2).code);
    await desk.recordSuccess.click();
    await desk.expectStatus('Notifié');

    await page.keyboard.press('Control+Shift+L');
    await page.getByRole('heading', { name: 'Connexion' }).waitFor();
    await page.keyboard.type('marc');
    await page.keyboard.press('Tab');
    await page.keyboard.type('000000');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'Identifiant ou code PIN incorrect.' }).waitFor();
    await page.getByLabel('Code PIN').focus();
    await page.keyboard.type('135791');
    await page.keyboard.press('Enter');
    await page.getByText('Agent : Marc Petit').waitFor();
    await desk.openClient(demoClient(5).code);
    await desk.recordFailure.click();
    await desk.expectStatus('Injoignable');

    // Locked (as the idle delay does): the same PIN unlocks, no login asked.
    await withServedDatabase(s.server, async (_local, handlers) => {
      await handlers.lockSession({});
    });
    await page.reload();
    await page.getByRole('heading', { name: 'Session verrouillée' }).waitFor();
    await page.getByText('La session de Marc Petit est verrouillée. Saisissez votre code PIN pour reprendre.').waitFor();
    expect(await page.getByLabel('Agent', { exact: true }).count()).toBe(0);
    await scan(page, 'server lock screen (fr)');
    await page.keyboard.type('135791');
    await page.keyboard.press('Enter');
    await page.getByText('Agent : Marc Petit').waitFor();

    // English: the same screens, translated.
    await withServedDatabase(s.server, async (_local, handlers) => {
      await handlers.updateSettings({ locale: 'en' });
      await handlers.signOut({});
    });
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByText('Enter your login and your PIN.').waitFor();
    await page.getByLabel('PIN', { exact: true }).waitFor();
    await scan(page, 'server sign-in (en)');

    // Both attempts reached the server, each with its own agent's token.
    const attempts = await withServedDatabase(s.server, ({ db }) => db.selectFrom('attempts').select(['id', 'agent_id', 'client_code']).orderBy('occurred_at').execute());
    expect(attempts.map((a) => [a.client_code, a.agent_id])).toEqual([
      [demoClient(2).code, 'agent-awa'],
      [demoClient(5).code, 'agent-marc'],
    ]);
    await expect.poll(() => server.pushes.filter((p) => p.kind === 'attempt').length, { timeout: 20_000 }).toBe(2);
    expect(server.pushes.filter((p) => p.kind === 'attempt').map((p) => [p.id, p.token])).toEqual(attempts.map((a) => [a.id, a.agent_id]));
    expect(s.pageErrors).toEqual([]);
  });
});
