// The client file open on the right: the client and its history, newest first.

import { create } from 'zustand';
import type { Attempt, AttemptOutcome, Client } from '../../../contract/model.ts';
import { call } from '../desk.ts';

export const historyPageSize = 50;

interface FileState {
  code: string | null;
  client: Client | null;
  history: Attempt[];
  nextCursor: string | null;
  loading: boolean;
  loadingMore: boolean;
  open(code: string): Promise<void>;
  loadMore(): Promise<void>;
  /** A record, undo or void came back: the file and its history change in place, nothing refetched. */
  applyOutcome(outcome: AttemptOutcome): void;
  close(): void;
}

export const useFileStore = create<FileState>()((set, get) => ({
  code: null,
  client: null,
  history: [],
  nextCursor: null,
  loading: false,
  loadingMore: false,

  async open(code) {
    set({ code, loading: true, ...(get().client?.code === code ? {} : { client: null, history: [], nextCursor: null }) });
    try {
      const [client, page] = await Promise.all([
        call('getClient', { code }),
        call('listHistory', { clientCode: code, limit: historyPageSize }),
      ]);
      if (get().code !== code) return; // the agent opened another client meanwhile
      set({ client, history: page.items, nextCursor: page.nextCursor, loading: false });
    } catch (error) {
      if (get().code === code) set({ loading: false });
      throw error;
    }
  },

  async loadMore() {
    const { code, nextCursor, loadingMore } = get();
    if (!code || !nextCursor || loadingMore) return;
    set({ loadingMore: true });
    try {
      const page = await call('listHistory', { clientCode: code, before: nextCursor, limit: historyPageSize });
      if (get().code !== code) return;
      const known = new Set(get().history.map((a) => a.id));
      set({ history: [...get().history, ...page.items.filter((a) => !known.has(a.id))], nextCursor: page.nextCursor });
    } finally {
      set({ loadingMore: false });
    }
  },

  applyOutcome({ attempt, client }) {
    if (get().code !== client.code) return;
    const history = get().history;
    const index = history.findIndex((a) => a.id === attempt.id);
    const next =
      index >= 0 ? history.map((a) => (a.id === attempt.id ? attempt : a)) : insertNewestFirst(history, attempt);
    set({ client, history: next });
  },

  close() {
    set({ code: null, client: null, history: [], nextCursor: null, loading: false });
  },
}));

function insertNewestFirst(history: Attempt[], attempt: Attempt): Attempt[] {
  const at = history.findIndex((a) => a.occurredAt < attempt.occurredAt || (a.occurredAt === attempt.occurredAt && a.id < attempt.id));
  return at < 0 ? [...history, attempt] : [...history.slice(0, at), attempt, ...history.slice(at)];
}
