// 100,000 demo clients behind the real interface: typing in the search paints the right results.
// The time is REPORTED, not asserted: performance goals live in test/bench/ui.ts (medians and p99
// over many runs), a single timed run on a shared machine would only make a flaky test.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoClient } from '../../db/demo.ts';
import { demoDataDir, openDeskSession, withServedDatabase, type DeskSession } from '../helpers/browser.ts';
import { DeskPage } from './desk-page.ts';
import { searchSteps, timeSearchKeystroke } from './ui-timing.ts';

const clients = 100_000;
let session: DeskSession;

beforeAll(async () => {
  // Seeded once under .bench-cache/ (about half a minute), then copied for each run.
  session = await openDeskSession({ dataDir: await demoDataDir(clients) });
});

afterAll(async () => {
  await session?.close();
});

describe(`${clients.toLocaleString('en')}-client demo`, () => {
  it('100,000-client demo: typing a search paints results', async () => {
    const { page, server } = session;
    const settings = await withServedDatabase(server, async (_local, desk) => desk.getSettings({}));
    expect(settings.clientCount).toBe(clients);

    const desk = new DeskPage(page);
    await page.goto(server.url);
    await desk.search.waitFor();
    await desk.results.first().waitFor();

    // A name then its first name (the list narrows at each letter), and a client code digit by digit.
    const seeds = [demoClient(54_321).name, demoClient(77_777).code, demoClient(99_001).name];
    const steps = await withServedDatabase(server, (_local, desk) => searchSteps(desk, seeds, 4));
    expect(steps.length).toBeGreaterThan(0);
    const times: string[] = [];
    for (const step of steps) {
      const ms = await timeSearchKeystroke(page, desk, step);
      // The answer on screen is the one the database gives for the full query.
      expect(await desk.results.first().innerText()).toContain(step.firstAfter);
      times.push(`"${step.prefix}" + "${step.key}": ${ms.toFixed(1)} ms`);
    }
    console.log(`[ui] ${clients.toLocaleString('en')} clients, keystroke in the search to results painted: ${times.join('; ')}`);
    expect(session.pageErrors).toEqual([]);
  });
});
