// @vitest-environment jsdom
// The stores over the real domain: a record's answer updates every view at once without
// refetching, and an old search answer never replaces a newer one.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyOutcome, recordAttempt, undoLast } from '../../renderer/src/actions.ts';
import { useFileStore } from '../../renderer/src/store/file.ts';
import { pageSize, rowCount, useSearchStore } from '../../renderer/src/store/search.ts';
import { useSettingsStore } from '../../renderer/src/store/settings.ts';
import { useToastStore } from '../../renderer/src/store/toasts.ts';
import { useTodayStore } from '../../renderer/src/store/today.ts';
import { useWorkspaceStore } from '../../renderer/src/store/workspace.ts';
import type { ClientPage } from '../../contract/model.ts';
import type { Result } from '../../contract/errors.ts';
import { client, openTestBridge, type TestBridge } from './helpers/desk-bridge.ts';
import { installBridge, resetStores } from './helpers/render.tsx';

let desk: TestBridge;

beforeEach(async () => {
  desk = await openTestBridge();
  await desk.addClients([client('C-1', 'ROBERT Karim'), client('C-2', 'ROBIN Léa'), client('C-3', 'MARTIN Paul')]);
  resetStores();
  installBridge(desk);
  await useSettingsStore.getState().load();
});

afterEach(() => desk.cleanup());

const rowOf = (code: string) => Object.values(useSearchStore.getState().pages).flat().find((c) => c.code === code);
const operationsSince = (from: number) => desk.calls.slice(from).map((c) => c.operation);

describe('record outcome', () => {
  it('updates list row, client file, history and today’s counts from the answer, without refetching them', async () => {
    await useSearchStore.getState().run();
    await useFileStore.getState().open('C-1');
    await useTodayStore.getState().refresh();
    const before = desk.calls.length;

    useWorkspaceStore.getState().setChannel('sms');
    useWorkspaceStore.getState().setNote('  laissé un message  ');
    await recordAttempt('failure');

    const file = useFileStore.getState();
    expect(file.client?.status).toBe('failure');
    expect(file.client?.attemptCount).toBe(1);
    expect(file.client?.lastAgentName).toBe('Awa Diallo');
    expect(file.history.map((a) => [a.status, a.channel, a.note])).toEqual([['failure', 'sms', 'laissé un message']]);
    expect(rowOf('C-1')).toMatchObject({ code: 'C-1', status: 'failure', attemptCount: 1 });
    expect(useWorkspaceStore.getState().note).toBe('');
    expect(useWorkspaceStore.getState().undo?.attemptId).toBe(file.history[0]!.id);
    await expect.poll(() => useTodayStore.getState().counts).toEqual({ attempts: 1, successes: 0, failures: 1, byReason: [] });

    // One write, then only the aggregates: no search, no client, no history reloaded.
    const asked = operationsSince(before);
    expect(asked[0]).toBe('recordAttempt');
    expect(asked).not.toContain('searchClients');
    expect(asked).not.toContain('getClient');
    expect(asked).not.toContain('listHistory');
  });

  it('undo within the window puts the status back and keeps the attempt, voided, in the history', async () => {
    await useSearchStore.getState().run();
    await useFileStore.getState().open('C-2');
    await recordAttempt('success');
    expect(useToastStore.getState().toasts.map((t) => t.text)).toContain('Enregistré : Notifié — ROBIN Léa');

    await undoLast();
    const file = useFileStore.getState();
    expect(file.client?.status).toBe('never');
    expect(file.history).toHaveLength(1);
    expect(file.history[0]!.void?.kind).toBe('undo');
    expect(rowOf('C-2')).toMatchObject({ code: 'C-2', status: 'never' });
    expect(useWorkspaceStore.getState().undo).toBeNull();
    expect(useToastStore.getState().toasts.map((t) => t.text)).not.toContain('Enregistré : Notifié — ROBIN Léa');
    expect(useToastStore.getState().toasts.map((t) => t.text)).toContain('Tentative annulée : Notifié — ROBIN Léa');
    await expect.poll(() => useTodayStore.getState().counts?.attempts).toBe(0);
  });

  it('an outcome for another client leaves the open file alone', async () => {
    await useFileStore.getState().open('C-3');
    const outcome = await desk.t.desk.recordAttempt({ clientCode: 'C-1', status: 'success' });
    applyOutcome(outcome);
    expect(useFileStore.getState().client?.code).toBe('C-3');
    expect(useFileStore.getState().history).toEqual([]);
  });

  it('a double click records once', async () => {
    await useFileStore.getState().open('C-3');
    await Promise.all([recordAttempt('success'), recordAttempt('success')]);
    expect(desk.calls.filter((c) => c.operation === 'recordAttempt')).toHaveLength(1);
  });
});

describe('search', () => {
  it('drops an answer that arrives after a newer question was asked', async () => {
    // The first question (all clients) is answered slowly, the second (a status filter) quickly:
    // the slow answer must not replace the newer one when it finally arrives.
    await desk.t.desk.recordAttempt({ clientCode: 'C-3', status: 'failure' });
    const real = desk.bridge.api.searchClients;
    desk.bridge.api.searchClients = async (input): Promise<Result<ClientPage>> => {
      const answer = await real(input);
      if (input.status === 'all') await new Promise((r) => setTimeout(r, 150));
      return answer;
    };
    const store = useSearchStore.getState();
    store.setQuery('');
    store.setStatus('failure');
    await expect.poll(() => useSearchStore.getState().pages[0]?.map((c) => c.code)).toEqual(['C-3']);
    await new Promise((r) => setTimeout(r, 250)); // the slow answer has arrived by now
    expect(useSearchStore.getState().pages[0]?.map((c) => c.code)).toEqual(['C-3']);
    expect(useSearchStore.getState().total).toBe(1);
  });

  it('asks at once, then folds the keystrokes typed meanwhile into one follow-up question', async () => {
    const before = desk.calls.length;
    const store = useSearchStore.getState();
    for (const q of ['r', 'ro', 'rob', 'robi', 'robin']) store.setQuery(q);
    await expect.poll(() => useSearchStore.getState().pages[0]?.map((c) => c.name)).toEqual(['ROBIN Léa']);
    expect(desk.calls.slice(before).map((c) => [c.operation, (c.input as { query: string }).query])).toEqual([
      ['searchClients', 'r'],
      ['searchClients', 'robin'],
    ]);
  });

  it('filters by status', async () => {
    await desk.t.desk.recordAttempt({ clientCode: 'C-3', status: 'failure' });
    await useSearchStore.getState().run();
    useSearchStore.getState().setStatus('failure');
    await expect.poll(() => useSearchStore.getState().pages[0]?.map((c) => c.code)).toEqual(['C-3']);
    useSearchStore.getState().setStatus('never');
    await expect.poll(() => useSearchStore.getState().pages[0]?.map((c) => c.code)).toEqual(['C-1', 'C-2']);
  });

  it('lays out the exact total, or past the 10 000 cap what scrolling has proved plus a look-ahead', () => {
    const page = (n: number) => Array.from({ length: n }, (_, i) => ({ ...client(`X${i}`, 'X'), status: 'never' as const, lastAttemptAt: null, lastAgentName: null, attemptCount: 0 }));
    expect(rowCount({ total: 250, totalIsCapped: false, pages: { 0: page(pageSize) }, exactCount: null })).toBe(250);
    expect(rowCount({ total: 10_000, totalIsCapped: true, pages: { 0: page(pageSize) }, exactCount: null })).toBe(11_000);
    expect(rowCount({ total: 10_000, totalIsCapped: true, pages: { 0: page(pageSize), 150: page(pageSize) }, exactCount: null })).toBe(16_100);
    expect(rowCount({ total: 10_000, totalIsCapped: true, pages: { 150: page(40) }, exactCount: 15_040 })).toBe(15_040);
  });
});
