// The interface as an agent sees it: every element found by its accessible name, in the words the
// issue fixed (French by default). If the interface renames something these tests fail loudly;
// they are not loosened to follow it.

import type { Locator, Page } from 'playwright-core';

/**
 * Polls `read` until `ok` holds; throws with the last value seen. Plain code rather than vitest's
 * expect.poll, so that the benchmark (outside vitest) drives the page with these same helpers.
 */
export async function waitFor<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const words = {
  fr: {
    search: 'Rechercher un client',
    filters: { all: 'Tous', never: 'Jamais notifiés', success: 'Notifiés', failure: 'Injoignables' },
    recordSuccess: 'Notifier (Succès)',
    recordFailure: 'Notifier (Échec/Injoignable)',
    statusRegion: 'Statut de notification',
    status: { never: 'Jamais notifié', success: 'Notifié', failure: 'Injoignable' },
    history: 'Historique des notifications',
    /** The undo toast starts so, then says what for whom: "Enregistré : Notifié — LEFÈVRE Hélène". */
    recorded: 'Enregistré :',
    undo: 'Annuler',
    settings: 'Paramètres',
    shortcuts: 'Raccourcis clavier',
  },
  en: {
    search: 'Search for a client',
    filters: { all: 'All', never: 'Never notified', success: 'Notified', failure: 'Unreachable' },
    recordSuccess: 'Notify (Success)',
    recordFailure: 'Notify (Failure/Unreachable)',
    statusRegion: 'Notification status',
    status: { never: 'Never notified', success: 'Notified', failure: 'Unreachable' },
    history: 'Notification history',
    recorded: 'Recorded:',
    undo: 'Undo',
    settings: 'Settings',
    shortcuts: 'Keyboard shortcuts',
  },
} as const;

export type Words = (typeof words)['fr' | 'en'];
type StatusWord = Words['status'][keyof Words['status']];

export class DeskPage {
  readonly page: Page;
  readonly w: Words;
  constructor(page: Page, w: Words = words.fr) {
    this.page = page;
    this.w = w;
  }

  get search(): Locator {
    return this.page.getByRole('combobox', { name: this.w.search, exact: true });
  }
  filter(which: keyof Words['filters']): Locator {
    return this.page.getByRole('radio', { name: this.w.filters[which], exact: true });
  }
  get results(): Locator {
    return this.page.getByRole('option');
  }
  result(text: string): Locator {
    return this.page.getByRole('option').filter({ hasText: text });
  }
  get recordSuccess(): Locator {
    return this.page.getByRole('button', { name: this.w.recordSuccess, exact: true });
  }
  get recordFailure(): Locator {
    return this.page.getByRole('button', { name: this.w.recordFailure, exact: true });
  }
  get statusRegion(): Locator {
    return this.page.getByRole('region', { name: this.w.statusRegion, exact: true });
  }
  get history(): Locator {
    return this.page.getByRole('list', { name: this.w.history, exact: true });
  }
  get historyEntries(): Locator {
    return this.history.getByRole('listitem');
  }
  get undoToast(): Locator {
    return this.page.locator('[aria-live]').filter({ hasText: this.w.recorded });
  }
  get undoButton(): Locator {
    return this.undoToast.getByRole('button', { name: this.w.undo, exact: true });
  }

  /** The one status word the status region shows (they exclude one another). */
  async statusWord(): Promise<StatusWord | null> {
    const text = await this.statusRegion.innerText();
    const { never, success, failure } = this.w.status;
    // "Jamais notifié" contains "notifié": test the longer words first.
    for (const word of [never, failure, success]) if (text.includes(word)) return word;
    return null;
  }

  async expectStatus(word: StatusWord): Promise<void> {
    await waitFor(`status should be "${word}"`, () => this.statusWord(), (w) => w === word);
  }

  /** Each entry as the words it must contain, newest first; on failure, says what the history showed. */
  async expectHistory(expected: string[][]): Promise<void> {
    await waitFor(
      `history should hold entries with ${JSON.stringify(expected)}`,
      () => this.historyEntries.allInnerTexts(),
      (texts) => texts.length === expected.length && expected.every((parts, i) => parts.every((p) => texts[i]!.includes(p))),
    );
  }

  /** Searches and opens the client whose row shows `text` (a code or a name). */
  async openClient(query: string, rowText = query): Promise<void> {
    await this.search.fill(query);
    const row = this.result(rowText).first();
    await row.waitFor();
    await row.click();
    await this.statusRegion.waitFor();
    await waitFor('the client file should open', () => this.statusRegion.isVisible(), (v) => v);
  }

  /** Whether an element is drawn struck through (the history's voided entries). */
  static async struckThrough(locator: Locator): Promise<boolean> {
    return locator.evaluate((el) => {
      for (let node: Element | null = el; node; node = node.parentElement) {
        if (getComputedStyle(node).textDecorationLine.includes('line-through')) return true;
      }
      return el.querySelector('del, s') !== null && getComputedStyle(el.querySelector('del, s')!).textDecorationLine.includes('line-through');
    });
  }
}
