// The trigram index of imported clients is written after their chunks (db/search-backlog.ts), and a
// search must not tell: at every quiet point of an import (its chunks committed, the backlog capped
// between them), at every batch of the backlog after it, and after updates of imported clients by
// another import or by a sync pull, the search gives what a plain scan of every client gives. The
// import is fed through a gate, so that the test looks at the base while the import waits for more
// of its file, between two chunks.

import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { foldText, type StatusFilter } from '../../contract/index.ts';
import { upsertClient } from '../../db/clients.ts';
import { importClients } from '../../db/import.ts';
import { createSearchBacklog } from '../../db/search-backlog.ts';
import { writeTransaction } from '../../db/tx.ts';
import { openTestDesk, type TestDesk } from '../helpers/local-db.ts';

let t: TestDesk;
beforeEach(async () => {
  t = await openTestDesk();
});
afterEach(() => t.cleanup());

const header = 'Code client;Nom;Téléphone;Email;Ville';
const cities = ['Dakar', 'Thiès', 'Saint-Louis', 'Ziguinchor', 'Kaolack'];
const families = ['Ndiaye', 'Sène', 'Faye', 'Gueye', 'Mbaye', 'Sarr', 'Cissé', 'Kane'];

/** Line i of an import: a client named after its `round` so that a later import renames it. */
function line(i: number, round: string): string {
  const family = families[i % families.length]!;
  return `B${String(i).padStart(6, '0')};${family.toUpperCase()} ${round} Élève ${i};77 ${String(100 + (i % 900))} ${String(i % 100).padStart(2, '0')} 11;${family.toLowerCase()}${i}@exemple.sn;${cities[i % cities.length]}`;
}

/** The page as a plain sort of every client whose folded text holds the terms would give it. */
function oracle(query: string, status: StatusFilter, offset: number, limit: number): { codes: string[]; total: number } {
  const terms = foldText(query).split(' ').filter(Boolean);
  const rows = t.local.sqlite
    .prepare(`SELECT code, last_status FROM clients WHERE ${terms.map(() => `search_text LIKE ? ESCAPE '\\'`).join(' AND ')} ORDER BY name_key, code`)
    .all(...terms.map((term) => `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)) as { code: string; last_status: string | null }[];
  const kept = rows.filter((r) => status === 'all' || (r.last_status ?? 'never') === status);
  return { codes: kept.slice(offset, offset + limit).map((r) => r.code), total: Math.min(10_000, kept.length) };
}

/** Fragments an agent would type: from names, e-mails, cities and codes now in the base, and names replaced since. */
function fragments(): fc.Arbitrary<string> {
  const rows = t.local.sqlite.prepare(`SELECT name, email, city, code FROM clients ORDER BY rowid`).all() as Record<'name' | 'email' | 'city' | 'code', string | null>[];
  const fromRow = fc
    .record({ row: fc.nat({ max: rows.length - 1 }), field: fc.constantFrom('name', 'email', 'city', 'code'), start: fc.nat({ max: 24 }), length: fc.integer({ min: 3, max: 9 }) })
    .map(({ row, field, start, length }) => {
      const source = rows[row]![field as 'name'] ?? rows[row]!.name!;
      const from = Math.min(start, Math.max(0, source.length - length));
      return source.slice(from, from + length).trim();
    });
  const words = fc.constantFrom('exemple', 'eleve', 'ndiaye', 'thies', 'premier', 'second', 'renomme', 'serveur');
  return fc.oneof(fromRow, words).filter((f) => foldText(f).length >= 3 && !foldText(f).includes(' '));
}

async function expectSearchesMatchTheOracle(label: string): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fragments(), fc.constantFrom<StatusFilter>('all', 'all', 'never', 'failure'), fc.constantFrom(0, 0, 50), async (query, status, offset) => {
      const page = await t.desk.searchClients({ query, status, offset, limit: 50 });
      const expected = oracle(query, status, offset, 50);
      expect(page.items.map((c) => c.code), `${label}: ${query} ${status} @${offset}`).toEqual(expected.codes);
      expect(page.total, `${label}: ${query} ${status} total`).toBe(expected.total);
    }),
    { numRuns: 25 },
  );
}

/** A file fed `piece` lines at a time; before each piece it awaits `pause` (the import is then between chunks). */
async function* gated(lines: string[], piece: number, pause: (fed: number) => Promise<void>): AsyncGenerator<string> {
  yield `${header}\r\n`;
  for (let fed = 0; fed < lines.length; fed += piece) {
    if (fed > 0) await pause(fed);
    yield lines.slice(fed, fed + piece).join('\r\n') + '\r\n';
  }
}

function backlogSize(): number {
  return t.local.searchBacklog.size();
}

function expectIndexWhole(): void {
  expect(backlogSize()).toBe(0);
  // FTS5 checks its index against the clients table (external content): every row, its current text.
  expect(() => t.local.sqlite.exec(`INSERT INTO clients_fts (clients_fts, rank) VALUES ('integrity-check', 1)`)).not.toThrow();
}

describe('search while the trigram index of imported clients is written later', () => {
  it('gives what a plain scan gives during an import, at every batch after it, and after updates of imported clients', async () => {
    await t.desk.seedDemoClients({ count: 1500 });
    // Some statuses, so that the filters have something to keep.
    const some = await t.desk.searchClients({ query: '', status: 'all', offset: 0, limit: 40 });
    for (const [i, c] of some.items.entries()) await t.desk.recordAttempt({ clientCode: c.code, status: i % 2 ? 'success' : 'failure' });
    expectIndexWhole();

    // First import: 3,000 clients in chunks of 250 lines, the backlog capped at 1,200 between chunks.
    const first = Array.from({ length: 3000 }, (_, i) => line(i, 'Premier'));
    const cap = 1200;
    const backlogSeen: number[] = [];
    const release = t.local.searchBacklog.hold(); // the test indexes the backlog itself after the import
    const report = await importClients(
      t.local,
      gated(first, 400, async (fed) => {
        backlogSeen.push(backlogSize());
        await expectSearchesMatchTheOracle(`first import, ${fed} lines fed`);
      }),
      { at: t.clock.now().toISOString(), bytesTotal: 1, chunkRows: 250, backlogCap: cap },
    );
    expect(report.inserted).toBe(3000);
    // The chunks wrote without indexing (a backlog formed), and the cap held it between chunks.
    expect(Math.max(...backlogSeen)).toBeGreaterThan(0);
    expect(Math.max(...backlogSeen)).toBeLessThanOrEqual(cap + 400);
    expect(backlogSize()).toBeGreaterThan(0);

    // A client the index already holds, renamed by an import: its old name must not find it.
    const demo = some.items[5]!;
    const demoOld = foldText(demo.name).split(' ').find((w) => w.length >= 4)!;
    const renamedDemo = `${demo.code};RENOMME Demo;;;`;

    // Second import: a third of the first import's clients renamed (most still in the backlog), and the demo client.
    const second = [renamedDemo, ...Array.from({ length: 1000 }, (_, i) => line(i * 3, 'Second'))];
    await importClients(t.local, gated(second, 300, async () => expectSearchesMatchTheOracle('second import')), {
      at: t.clock.now().toISOString(),
      bytesTotal: 1,
      chunkRows: 200,
      backlogCap: 100_000,
    });
    expect(oracle(demoOld, 'all', 0, 10_000).codes).not.toContain(demo.code);
    const byOldName = await t.desk.searchClients({ query: demoOld, status: 'all', offset: 0, limit: 200 });
    expect(byOldName.items.map((c) => c.code)).not.toContain(demo.code);
    expect((await t.desk.searchClients({ query: 'renomme demo', status: 'all', offset: 0, limit: 5 })).items.map((c) => c.code)).toEqual([demo.code]);
    // Line 0 was renamed from "Premier" to "Second": the first name finds it no more.
    expect((await t.desk.searchClients({ query: 'premier eleve 0', status: 'all', offset: 0, limit: 5 })).items.map((c) => c.code)).not.toContain('B000000');

    // A sync pull updates two imported clients still in the backlog, one never indexed and one renamed
    // by the second import after its first name was indexed: indexed at once, out of the backlog.
    const inBacklog = (indexed: 'IS NULL' | 'IS NOT NULL') =>
      t.local.sqlite.prepare(`SELECT c.code FROM clients_fts_pending p JOIN clients c ON c.rowid = p.client_rowid WHERE p.indexed_text ${indexed} ORDER BY c.code LIMIT 1`).pluck().get() as string;
    const pulled = [inBacklog('IS NOT NULL'), inBacklog('IS NULL')].sort();
    expect(pulled.every(Boolean)).toBe(true);
    const before = backlogSize();
    await writeTransaction(t.local.db, async (trx) => {
      for (const code of pulled) {
        await upsertClient(trx, { code, name: `TIRE Du Serveur ${code}`, phones: [], email: null, city: 'Louga', address: null, extra: {} }, t.clock.now().toISOString());
      }
    });
    expect(backlogSize()).toBe(before - pulled.length);
    expect((await t.desk.searchClients({ query: 'tire du serveur', status: 'all', offset: 0, limit: 5 })).items.map((c) => c.code)).toEqual(pulled);
    await expectSearchesMatchTheOracle('after the pull');

    // The backlog, batch by batch (small batches here), each its own transaction: the oracle holds at every one.
    const stepwise = createSearchBacklog(t.local.db, t.local.sqlite, { batchRows: 150 });
    let batches = 0;
    while (backlogSize() > 0) {
      expect(await stepwise.indexBatch()).toBeGreaterThan(0);
      batches++;
      if (batches % 2 === 1) await expectSearchesMatchTheOracle(`backlog batch ${batches}`);
    }
    expect(batches).toBeGreaterThan(1);
    expectIndexWhole();
    await expectSearchesMatchTheOracle('index caught up');

    // After the import, the background indexing takes over by itself.
    release();
    await importClients(t.local, gated(Array.from({ length: 500 }, (_, i) => line(5000 + i, 'Troisieme')), 500, async () => undefined), {
      at: t.clock.now().toISOString(),
      bytesTotal: 1,
    });
    await t.local.searchBacklog.caughtUp();
    expectIndexWhole();
    await expectSearchesMatchTheOracle('after the background indexing');
  }, 180_000);

  it('keeps indexing at once for clients written by other paths (demo data, a sync pull): no backlog', async () => {
    await t.desk.seedDemoClients({ count: 300 });
    await writeTransaction(t.local.db, (trx) =>
      upsertClient(trx, { code: 'P-1', name: 'Pulled Client', phones: ['+221 77 000 00 00'], email: null, city: null, address: null, extra: {} }, t.clock.now().toISOString()),
    );
    expect(backlogSize()).toBe(0);
    expectIndexWhole();
    expect((await t.desk.searchClients({ query: 'pulled', status: 'all', offset: 0, limit: 5 })).items.map((c) => c.code)).toEqual(['P-1']);
  });
});
