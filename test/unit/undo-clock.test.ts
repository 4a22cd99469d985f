// The undo window runs on a monotonic clock: setting the desk's clock back does not reopen it.

import { afterEach, expect, it } from 'vitest';
import { dispatch, limits } from '../../contract/index.ts';
import { createDeskHandlers } from '../../db/desk.ts';
import { createUndoWindow } from '../../db/undo-window.ts';
import { MovableClock, openTestDesk, type TestDesk } from '../helpers/local-db.ts';

let t: TestDesk | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

it('refuses an undo 30 minutes later even though the clock was set back one hour meanwhile', async () => {
  t = await openTestDesk();
  let monotonic = 0;
  const wall = new MovableClock();
  const desk = createDeskHandlers(t.local, { clock: wall, monotonicNow: () => monotonic });
  await desk.seedDemoClients({ count: 1 });
  const [client] = (await desk.searchClients({ query: '', status: 'all', offset: 0, limit: 1 })).items;
  const mine = await desk.recordAttempt({ clientCode: client!.code, status: 'success' });

  // 30 minutes pass; the OS clock is set back one hour: by the wall clock, -30 minutes have passed.
  monotonic += 30 * 60_000;
  wall.advance(30 * 60_000 - 60 * 60_000);
  const refused = await dispatch(desk, 'undoAttempt', { attemptId: mine.attempt.id });
  expect(refused).toMatchObject({ ok: false, error: { code: 'attempt.undoExpired' } });
});

it('accepts an undo within the window even if the wall clock jumped forward', async () => {
  t = await openTestDesk();
  let monotonic = 0;
  const wall = new MovableClock();
  const desk = createDeskHandlers(t.local, { clock: wall, monotonicNow: () => monotonic });
  await desk.seedDemoClients({ count: 1 });
  const [client] = (await desk.searchClients({ query: '', status: 'all', offset: 0, limit: 1 })).items;
  const mine = await desk.recordAttempt({ clientCode: client!.code, status: 'failure' });
  monotonic += 2_000;
  wall.advance(60 * 60_000); // an NTP correction
  expect(await dispatch(desk, 'undoAttempt', { attemptId: mine.attempt.id })).toMatchObject({ ok: true });
});

it('after a restart, falls back on the wall clock, and refuses when that clock is behind the attempt', () => {
  const window = createUndoWindow(() => 0);
  const at = '2026-11-26T09:00:00.000Z';
  expect(window.elapsedMs('other', at, new Date('2026-11-26T09:00:04.000Z'))).toBe(4_000);
  expect(window.elapsedMs('other', at, new Date('2026-11-26T08:30:00.000Z'))).toBeGreaterThan(limits.undoSeconds * 1000);
});
