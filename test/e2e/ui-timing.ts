// Timings taken inside the page, in its own clock (performance.now), so that nothing of the test
// driver is counted: from the keystroke or the click to the frame after the DOM showed the answer.
// Used by the 100,000-client e2e test (which only reports) and by test/bench/ui.ts (which measures).

import type { Page } from 'playwright-core';
import type { DeskHandlers } from '../../contract/index.ts';
import type { DeskPage } from './desk-page.ts';

/** One keystroke that changes the first result: typing `key` after `prefix`. */
export interface SearchStep {
  prefix: string;
  key: string;
  /** Code of the first result once the prefix is shown, and once the key is typed. */
  firstBefore: string;
  firstAfter: string;
}

const timeoutMs = 10_000;

/**
 * Finds keystrokes whose answer differs from the one before (else there is nothing to see change),
 * from words of the demo clients' names and digits of their codes. Asks the same operation the page
 * will ask, so the expected first row is the one the page must show.
 */
export async function searchSteps(desk: DeskHandlers, seeds: string[], wanted: number): Promise<SearchStep[]> {
  const firstOf = async (query: string) => (await desk.searchClients({ query, status: 'all', offset: 0, limit: 1 })).items[0]?.code ?? null;
  const steps: SearchStep[] = [];
  const seen = new Set<string>();
  for (const seed of seeds) {
    const word = seed.toLowerCase();
    for (let length = 3; length < word.length && steps.length < wanted; length++) {
      const prefix = word.slice(0, length);
      const key = word[length]!;
      if (!/^[a-z0-9]$/.test(key) || seen.has(prefix + key)) continue;
      seen.add(prefix + key);
      const [firstBefore, firstAfter] = await Promise.all([firstOf(prefix), firstOf(prefix + key)]);
      if (firstBefore && firstAfter && firstBefore !== firstAfter) steps.push({ prefix, key, firstBefore, firstAfter });
    }
    if (steps.length >= wanted) break;
  }
  return steps;
}

/** Waits until the first row of the list shows `code`. */
async function firstRowShows(page: Page, code: string): Promise<void> {
  await page.waitForFunction((code) => document.querySelector('[role="listbox"] [role="option"]')?.textContent?.includes(code) === true, code, {
    timeout: timeoutMs,
  });
}

/**
 * Milliseconds from the keydown of `step.key` in the search field to the animation frame after the
 * list's first row changed to the expected client.
 */
export async function timeSearchKeystroke(page: Page, desk: DeskPage, step: SearchStep): Promise<number> {
  await desk.search.fill(step.prefix);
  await firstRowShows(page, step.firstBefore);
  await page.evaluate(
    ({ code, timeoutMs }) => {
      const w = window as unknown as { deskTiming?: Promise<number> };
      w.deskTiming = new Promise<number>((resolve, reject) => {
        let start: number | null = null;
        const list = document.querySelector('[role="listbox"]');
        if (!list) return reject(new Error('no listbox on the page'));
        document.addEventListener('keydown', (e) => (start = e.timeStamp), { capture: true, once: true });
        const observer = new MutationObserver(() => {
          const first = list.querySelector('[role="option"]');
          if (start === null || !first?.textContent?.includes(code)) return;
          observer.disconnect();
          const from = start;
          requestAnimationFrame(() => resolve(performance.now() - from));
        });
        observer.observe(list, { subtree: true, childList: true, characterData: true });
        setTimeout(() => reject(new Error(`the list never showed ${code}`)), timeoutMs);
      });
    },
    { code: step.firstAfter, timeoutMs },
  );
  await page.keyboard.press(step.key);
  return page.evaluate(() => (window as unknown as { deskTiming: Promise<number> }).deskTiming);
}

/**
 * Milliseconds from clicking a record button to the animation frame after the status region
 * changed to `word` (the button is clicked from inside the page, so the click is timed exactly).
 */
export async function timeRecordToPaint(desk: DeskPage, outcome: 'success' | 'failure'): Promise<number> {
  const button = await (outcome === 'success' ? desk.recordSuccess : desk.recordFailure).elementHandle();
  const region = await desk.statusRegion.elementHandle();
  const word = desk.w.status[outcome];
  const others = Object.values(desk.w.status).filter((w) => w !== word);
  return desk.page.evaluate(
    ({ button, region, word, others, timeoutMs }) =>
      new Promise<number>((resolve, reject) => {
        // No named helper functions in here: tsx would wrap them in a __name() the page lacks.
        const before = region.textContent ?? '';
        if (before.includes(word) && !others.some((o) => before.includes(o))) {
          return reject(new Error(`the status already shows ${word}: nothing would change`));
        }
        const observer = new MutationObserver(() => {
          const text = region.textContent ?? '';
          if (!text.includes(word) || others.some((o) => text.includes(o))) return;
          observer.disconnect();
          requestAnimationFrame(() => resolve(performance.now() - start));
        });
        observer.observe(region, { subtree: true, childList: true, characterData: true });
        setTimeout(() => reject(new Error(`the status never showed ${word}`)), timeoutMs);
        const start = performance.now();
        (button as HTMLElement).click();
      }),
    { button, region, word, others, timeoutMs },
  );
}

export interface Summary {
  n: number;
  p50_ms: number;
  p99_ms: number;
  min_ms: number;
  max_ms: number;
}

/** Nearest-rank percentiles: with 100 samples p99 is the 99th smallest, a real observed time. */
export function summarize(samples: number[]): Summary {
  if (samples.length === 0 || samples.some((x) => !Number.isFinite(x))) throw new Error(`not a timing: ${samples.join(', ')}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  const round = (x: number) => Math.round(x * 10) / 10;
  return { n: sorted.length, p50_ms: round(rank(50)), p99_ms: round(rank(99)), min_ms: round(sorted[0]!), max_ms: round(sorted.at(-1)!) };
}
