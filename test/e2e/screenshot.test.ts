// The client file as the README shows it: taken by the suite at 1280×800 so that it always shows
// the interface as built, never a mock-up. Every run writes test-results/; `npm run screenshot`
// (DESK_UPDATE_SCREENSHOT=1) refreshes the README's copy in docs/, so a test run leaves git clean.

import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoClient } from '../../db/demo.ts';
import { openDeskSession, type DeskSession } from '../helpers/browser.ts';
import { DeskPage } from './desk-page.ts';

const root = join(import.meta.dirname, '..', '..');
const target = process.env.DESK_UPDATE_SCREENSHOT
  ? join(root, 'docs', 'screenshot-client-file.png')
  : join(root, 'test-results', 'screenshot-client-file.png');
let session: DeskSession | null = null;

afterAll(async () => {
  await session?.close();
});

describe('README screenshot', () => {
  it('takes the README screenshot: a client file with its history', async () => {
    session = await openDeskSession({ demoClients: 200, agentName: 'Awa Diallo', viewport: { width: 1280, height: 800 } });
    const { page } = session;
    const desk = new DeskPage(page);
    await page.goto(session.server.url);
    await desk.search.waitFor();

    const client = demoClient(2);
    await desk.openClient(client.code);
    await page.getByRole('radio', { name: 'WhatsApp' }).check();
    await desk.recordFailure.click();
    await desk.expectStatus('Injoignable');
    await page.getByRole('radio', { name: 'Téléphone' }).check();
    await page.getByLabel('Note (facultative)').fill('Messagerie pleine, rappeler après 14 h');
    await desk.recordSuccess.click();
    await desk.expectStatus('Notifié');
    await desk.expectHistory([['Notifié', 'Messagerie pleine'], ['Injoignable']]);
    await page.getByRole('button', { name: 'Fermer le message' }).first().click();
    await desk.undoToast.waitFor({ state: 'detached' });
    // The list as the agent usually sees it: every client, the open one marked.
    await desk.search.fill('');
    await expect.poll(() => desk.results.count()).toBeGreaterThan(8);
    // The caret and the hover are not part of the picture.
    await desk.search.evaluate((el) => el.blur());
    await page.mouse.move(0, 0);

    await page.screenshot({ path: target, fullPage: false });
    expect(statSync(target).size).toBeGreaterThan(20_000);
  });
});
