// searchClients switches plans when a fragment matches many clients; both must give the same page.
import fc from 'fast-check';
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
  const terms = foldText(fragment).split(' ');
  const rows = t.local.sqlite
    .prepare(`SELECT code, name_key, last_status FROM clients WHERE ${terms.map(() => 'search_text LIKE ?').join(' AND ')} ORDER BY name_key, code`)
    .all(...terms.map((term) => `%${term}%`)) as { code: string; last_status: string | null }[];
  return rows
    .filter((r) => status === 'all' || (r.last_status ?? 'never') === status)
    .slice(offset, offset + limit)
    .map((r) => r.code);
}

describe('search plans', () => {
  it.each([
    ['a fragment with few matches', 'diallo'],
    ['a fragment with few matches and a short term', 'diallo a'],
    ['a fragment matching thousands of clients', 'exemple'],
  ])('%s: same page as sorting every match', async (_label, fragment) => {
    const total = reference(fragment, 'all', 0, 1_000_000).length;
    for (const status of ['all', 'never', 'success', 'failure'] as const) {
      for (const offset of [0, 150]) {
        const page = await t.desk.searchClients({ query: fragment, status, offset, limit: 50 });
        expect(page.items.map((c) => c.code), `${fragment} ${status} @${offset}`).toEqual(reference(fragment, status, offset, 50));
        expect(page.total, `${fragment} ${status} total`).toBe(Math.min(10_000, reference(fragment, status, 0, 1_000_000).length));
      }
    }
    expect(total > 3000).toBe(fragment === 'exemple');
  });
});

describe('search against a plain filter (property)', () => {
  it('any fragment of a client’s name, e-mail or city, as typed (any case, accents or not), any status and page: the page and total of sorting every match', async () => {
    const rows = t.local.sqlite.prepare(`SELECT name, email, city FROM clients ORDER BY rowid`).all() as { name: string; email: string | null; city: string | null }[];
    // A fragment as an agent types it: part of a word of the source, its case shuffled, its accents kept or dropped.
    const fragment = fc
      .record({
        row: fc.nat({ max: rows.length - 1 }),
        field: fc.constantFrom('name', 'email', 'city'),
        start: fc.nat({ max: 30 }),
        length: fc.integer({ min: 3, max: 8 }),
        upper: fc.boolean(),
        fold: fc.boolean(),
      })
      .map(({ row, field, start, length, upper, fold }) => {
        const source = rows[row]![field as 'name'] ?? rows[row]!.name;
        const word = source.slice(Math.min(start, Math.max(0, source.length - length)), Math.min(start, Math.max(0, source.length - length)) + length).trim();
        const typed = fold ? foldText(word) : word;
        return upper ? typed.toUpperCase() : typed;
      })
      .filter((f) => foldText(f).length >= 3 && !foldText(f).includes(' '));
    await fc.assert(
      fc.asyncProperty(
        fragment,
        fc.constantFrom('all', 'all', 'never', 'success', 'failure'),
        fc.constantFrom(0, 0, 50, 150),
        async (query, status, offset) => {
          const page = await t.desk.searchClients({ query, status, offset, limit: 50 });
          const terms = foldText(query);
          expect(page.items.map((c) => c.code), `${query} ${status} @${offset}`).toEqual(reference(terms, status, offset, 50));
          expect(page.total).toBe(Math.min(10_000, reference(terms, status, 0, 1_000_000).length));
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('client_order', () => {
  it('mirrors every client’s name, code and status through inserts, renames, attempts and voids', async () => {
    const [first] = (await t.desk.searchClients({ query: '', status: 'all', offset: 0, limit: 1 })).items;
    const outcome = await t.desk.recordAttempt({ clientCode: first!.code, status: 'failure' });
    await t.desk.voidAttempt({ attemptId: outcome.attempt.id, reason: 'Erreur de saisie' });
    await t.desk.importClients({ fileName: 'renomme.csv', content: `Code client;Nom\r\n${first!.code};ZZZ Renommé\r\nNEW-1;AAA Nouveau\r\n` });
    const mismatched = t.local.sqlite
      .prepare(
        `SELECT (SELECT count(*) FROM clients) AS clients, (SELECT count(*) FROM client_order) AS ordered,
                (SELECT count(*) FROM clients c JOIN client_order o ON o.client_rowid = c.rowid
                  WHERE o.name_key = c.name_key AND o.code = c.code AND o.last_status IS c.last_status) AS same`,
      )
      .get() as { clients: number; ordered: number; same: number };
    expect(mismatched.ordered).toBe(mismatched.clients);
    expect(mismatched.same).toBe(mismatched.clients);
    const found = await t.desk.searchClients({ query: 'renomme', status: 'all', offset: 0, limit: 5 });
    expect(found.items.map((c) => c.code)).toEqual([first!.code]);
  });
});
