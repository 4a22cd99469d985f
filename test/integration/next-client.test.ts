// "Client suivant": due call-backs first, then clients never attempted, then failures whose retry
// time has come by their reason's rule ("Pas de réponse" after 2 h, at most 5 attempts; "Faux
// numéro" out of the queue), on a real database file.

import { afterEach, describe, expect, it } from 'vitest';
import { openTestDesk, type TestDesk } from '../helpers/local-db.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function desk(count: number): Promise<{ d: TestDesk; codes: string[] }> {
  const d = await openTestDesk();
  cleanups.push(() => d.cleanup());
  await d.desk.seedDemoClients({ count });
  const page = await d.desk.searchClients({ query: '', status: 'all', offset: 0, limit: count });
  return { d, codes: page.items.map((c) => c.code) };
}

describe('nextClient', () => {
  it('gives due call-backs first, then clients never attempted in name order, then failures whose retry has come', async () => {
    const { d, codes } = await desk(4);
    const [a, b, c, e] = codes as [string, string, string, string];
    // Nothing attempted: the first by name.
    expect(await d.desk.nextClient({ exclude: [] })).toEqual({ code: a, why: 'never', dueAt: null });
    expect((await d.desk.nextClient({ exclude: [a] }))?.code).toBe(b);

    for (const input of [
      { clientCode: a, status: 'failure', reason: 'no-answer' },
      { clientCode: b, status: 'failure', reason: 'wrong-number' },
      { clientCode: c, status: 'success' },
      { clientCode: e, status: 'failure' },
    ] as const) {
      await d.desk.recordAttempt(input);
      d.clock.advance(1000);
    }
    // Everyone attempted, no retry due yet.
    expect(await d.desk.nextClient({ exclude: [] })).toBeNull();

    // A call-back due comes first, even for a client just attempted.
    const callback = await d.desk.scheduleCallback({ clientCode: c, when: 'in1h', forTeam: false });
    d.clock.advance(60 * 60_000 + 1000);
    expect(await d.desk.nextClient({ exclude: [] })).toEqual({ code: c, why: 'callback', dueAt: callback.dueAt });
    await d.desk.cancelCallback({ callbackId: callback.callbackId });

    // 2 h later: "Pas de réponse" and a failure without a reason come back, oldest first; "Faux numéro" never.
    d.clock.advance(60 * 60_000);
    const next = await d.desk.nextClient({ exclude: [] });
    expect(next).toMatchObject({ code: a, why: 'retry' });
    expect((await d.desk.nextClient({ exclude: [a] }))?.code).toBe(e);
    expect(await d.desk.nextClient({ exclude: [a, e] })).toBeNull();
  });

  it('stops a client after the reason’s attempts allowed', async () => {
    const { d, codes } = await desk(1);
    const code = codes[0]!;
    for (let i = 0; i < 5; i++) {
      await d.desk.recordAttempt({ clientCode: code, status: 'failure', reason: 'busy' });
      d.clock.advance(31 * 60_000);
      if (i < 4) expect((await d.desk.nextClient({ exclude: [] }))?.code).toBe(code);
    }
    expect(await d.desk.nextClient({ exclude: [] })).toBeNull();
  });
});
