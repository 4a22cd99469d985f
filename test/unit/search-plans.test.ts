// searchClients switches plans when a fragment matches many clients; both must give the same page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldText } from '../../contract/index.ts';
import { openTestDesk, type TestDesk } from '../helpers/local-db.ts';

let t: TestDesk;

beforeAll(async () => {
  t = await openTestDesk();
  await t.desk.seedDemoClients({ count: 8000 });
  // Give some clients a status so that the filtered walk has something to find.
  const page = await t.desk.searchClients({ query: 'sarl', status: 'all', offset: 0, limit: 200 });
  for (const [i, c] of page.items.entries()) {
    await t.desk.recordAttempt({ clientCode: c.code, status: i % 2 ? 'success' : 'failure' });
  }
});
afterAll(() => t.cleanup());

/** The page as a plain sort of every matching row would give it. */
function reference(fragment: string, status: string, offset: number, limit: number): string[] {
  const rows = t.local.sqlite
    .prepare(`SELECT code, name_key, last_status FROM clients WHERE search_text LIKE ? ORDER BY name_key, code`)
    .all(`%${foldText(fragment)}%`) as { code: string; last_status: string | null }[];
  return rows
    .filter((r) => status === 'all' || (r.last_status ?? 'never') === status)
    .slice(offset, offset + limit)
    .map((r) => r.code);
}

describe('search plans', () => {
  it.each([
    ['a fragment with few matches', 'diallo'],
    ['a fragment matching thousands of clients', 'exemple'],
  ])('%s: same page as sorting every match', async (_label, fragment) => {
    const total = (t.local.sqlite.prepare(`SELECT count(*) AS n FROM clients WHERE search_text LIKE ?`).get(`%${fragment}%`) as { n: number }).n;
    for (const status of ['all', 'never', 'success', 'failure'] as const) {
      for (const offset of [0, 150]) {
        const page = await t.desk.searchClients({ query: fragment, status, offset, limit: 50 });
        expect(page.items.map((c) => c.code), `${fragment} ${status} @${offset}`).toEqual(reference(fragment, status, offset, 50));
      }
    }
    expect(total > 3000).toBe(fragment === 'exemple');
  });
});
