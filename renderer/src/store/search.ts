// The client list: the question (text + status filter) and its answer, loaded page by page as the
// agent scrolls. Each new question gets a generation number; an answer to an older one is dropped,
// so fast typing never shows the results of a previous keystroke.
//
// No debounce timer: a keystroke asks at once when no question is on its way, and keystrokes typed
// while one is on its way fold into a single follow-up question with the latest text. The agent sees
// results as soon as the database can give them, and at most one search runs at a time.

import { create } from 'zustand';
import type { ClientSummary, StatusFilter } from '../../../contract/model.ts';
import { call } from '../desk.ts';
import { reportError } from '../report.ts';

export const pageSize = 100;
/** Past the capped total, how many rows to promise ahead so the scrollbar keeps going. */
const cappedLookahead = 10 * pageSize;

export interface SearchState {
  query: string;
  status: StatusFilter;
  /** The latest question asked. */
  generation: number;
  /** The question whose answer is on screen (lags `generation` while an answer is on its way). */
  shown: number;
  total: number;
  totalIsCapped: boolean;
  pages: Record<number, ClientSummary[]>;
  loadingPages: Record<number, true>;
  /** Exact number of matches once a short page proved where the list ends. */
  exactCount: number | null;
  ready: boolean;
  /** Row highlighted by the arrow keys (aria-activedescendant), -1 for none. */
  activeIndex: number;
  setQuery(query: string): void;
  setStatus(status: StatusFilter): void;
  run(): Promise<void>;
  ensureRange(first: number, last: number): void;
  setActive(index: number): void;
  patchClient(client: ClientSummary): void;
}

let running = 0;
let followUp = false;

function summaryOf(client: ClientSummary): ClientSummary {
  const { code, name, phones, city, status, lastAttemptAt, lastAgentName, attemptCount } = client;
  return { code, name, phones, city, status, lastAttemptAt, lastAgentName, attemptCount };
}

export const useSearchStore = create<SearchState>()((set, get) => {
  async function loadPage(page: number, generation: number): Promise<void> {
    const { query, status } = get();
    set((s) => ({ loadingPages: { ...s.loadingPages, [page]: true } }));
    try {
      const result = await call('searchClients', { query, status, offset: page * pageSize, limit: pageSize });
      if (get().generation !== generation) return; // a newer question was asked meanwhile
      const short = result.items.length < pageSize;
      set((s) => {
        const { [page]: _done, ...loadingPages } = s.loadingPages;
        const base = page === 0 ? {} : s.pages;
        return {
          pages: { ...base, [page]: result.items },
          loadingPages,
          total: result.total,
          totalIsCapped: result.totalIsCapped,
          exactCount: short ? page * pageSize + result.items.length : page === 0 ? null : s.exactCount,
          shown: generation,
          ready: true,
          ...(page === 0 ? { activeIndex: -1 } : {}),
        };
      });
    } catch (error) {
      if (get().generation !== generation) return;
      set((s) => {
        const { [page]: _failed, ...loadingPages } = s.loadingPages;
        return { loadingPages, ready: true, shown: generation };
      });
      reportError(error);
    }
  }

  return {
    query: '',
    status: 'all',
    generation: 0,
    shown: -1,
    total: 0,
    totalIsCapped: false,
    pages: {},
    loadingPages: {},
    exactCount: null,
    ready: false,
    activeIndex: -1,

    setQuery(query) {
      set({ query });
      if (running > 0) followUp = true;
      else void get().run();
    },
    setStatus(status) {
      set({ status });
      void get().run();
    },
    async run() {
      followUp = false;
      const generation = get().generation + 1;
      set({ generation, loadingPages: {} });
      running++;
      try {
        await loadPage(0, generation);
      } finally {
        running--;
        if (running === 0 && followUp) void get().run();
      }
    },
    ensureRange(first, last) {
      const { generation, shown, pages, loadingPages } = get();
      if (shown !== generation) return; // the answer on screen is about to be replaced
      const count = rowCount(get());
      const end = Math.min(last, count - 1);
      for (let page = Math.floor(Math.max(first, 0) / pageSize); page * pageSize <= end; page++) {
        if (!pages[page] && !loadingPages[page]) void loadPage(page, generation);
      }
    },
    setActive(index) {
      set({ activeIndex: index });
    },
    patchClient(client) {
      // The row keeps its place even if it no longer matches the filter: rows jumping away under
      // the agent's pointer would be worse than a badge that now says "Notifié" under "Jamais notifiés".
      const summary = summaryOf(client);
      const pages = { ...get().pages };
      let changed = false;
      for (const [key, items] of Object.entries(pages)) {
        const index = items.findIndex((c) => c.code === summary.code);
        if (index >= 0) {
          const copy = items.slice();
          copy[index] = summary;
          pages[Number(key)] = copy;
          changed = true;
        }
      }
      if (changed) set({ pages });
    },
  };
});

/** Rows the list should lay out: the total, or past the counting cap, what scrolling has proved. */
export function rowCount(s: Pick<SearchState, 'total' | 'totalIsCapped' | 'pages' | 'exactCount'>): number {
  if (s.exactCount !== null) return s.exactCount;
  if (!s.totalIsCapped) return s.total;
  let known = 0;
  for (const [key, items] of Object.entries(s.pages)) known = Math.max(known, Number(key) * pageSize + items.length);
  return Math.max(s.total, known) + cappedLookahead;
}

export function rowAt(s: Pick<SearchState, 'pages'>, index: number): ClientSummary | undefined {
  return s.pages[Math.floor(index / pageSize)]?.[index % pageSize];
}
