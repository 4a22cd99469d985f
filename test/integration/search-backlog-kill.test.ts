// The search backlog (db/search-backlog.ts) survives SIGKILL: killed during an import and while its
// backlog is being indexed, at random moments, the base always holds every client either in the
// trigram index with its current text or in the backlog (never both, never neither), and a desk
// started again resumes and ends with an index equal to a full rebuild: FTS5's own integrity-check,
// the same trigram vocabulary and token positions, and the same rows for every search tried.

import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runKilledChild } from '../helpers/killed-child.ts';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/connection.ts';
import { createDeskHandlers } from '../../db/desk.ts';
import { tempDir } from '../helpers/local-db.ts';

const child = fileURLToPath(new URL('./import-crash.child.ts', import.meta.url));
const lines = 30_000;

let dir: string;
let file: string;

beforeAll(async () => {
  dir = tempDir('desk-backlog-kill-');
  file = join(dir, 'desk.db');
  // A base with clients indexed the ordinary way, so that the import updates some of them.
  const local = await openDatabase(file);
  await createDeskHandlers(local).seedDemoClients({ count: 2000 });
  await local.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Round {
  seen: string[];
  backlogSeen: number[];
  caughtUp: boolean;
  stderr: string;
}

/** Runs the child; `killWhen` says, line by line, after how many ms to SIGKILL it (undefined: not yet). */
async function runChild(importLines: number, killWhen: (line: string) => number | undefined): Promise<Round> {
  const run = await runKilledChild(child, [file, String(importLines), '--watch-backlog'], killWhen, 120_000);
  return {
    seen: run.lines,
    backlogSeen: run.lines.filter((line) => line.startsWith('B ')).map((line) => Number(line.slice(2))),
    caughtUp: run.lines.includes('CAUGHT_UP'),
    stderr: run.stderr,
  };
}

/** What a killed desk left: every client indexed with its current text xor listed in the backlog. */
function checkKilledBase(): { backlog: number; clients: number } {
  const reader = new BetterSqlite3(file);
  try {
    expect(reader.prepare('PRAGMA integrity_check').pluck().get()).toBe('ok');
    const counts = reader
      .prepare(
        `SELECT
           (SELECT count(*) FROM clients) AS clients,
           (SELECT count(*) FROM clients_fts_pending) AS backlog,
           -- neither indexed nor in the backlog as never indexed
           (SELECT count(*) FROM clients c WHERE NOT EXISTS (SELECT 1 FROM clients_fts_docsize d WHERE d.id = c.rowid)
              AND NOT EXISTS (SELECT 1 FROM clients_fts_pending p WHERE p.client_rowid = c.rowid AND p.indexed_text IS NULL)) AS lost,
           -- in the backlog as never indexed, yet indexed
           (SELECT count(*) FROM clients_fts_pending p JOIN clients_fts_docsize d ON d.id = p.client_rowid WHERE p.indexed_text IS NULL) AS doubled,
           -- the deferral row never outlives a chunk's transaction
           (SELECT count(*) FROM clients_fts_deferral) AS deferring`,
      )
      .get() as { clients: number; backlog: number; lost: number; doubled: number; deferring: number };
    expect(counts).toMatchObject({ lost: 0, doubled: 0, deferring: 0 });
    // Clients out of the backlog are indexed with their current text: the trigram of a fragment of it finds them.
    const sample = reader
      .prepare(`SELECT c.rowid, c.search_text FROM clients c WHERE NOT EXISTS (SELECT 1 FROM clients_fts_pending p WHERE p.client_rowid = c.rowid) ORDER BY random() LIMIT 50`)
      .all() as { rowid: number; search_text: string }[];
    const finds = reader.prepare(`SELECT rowid FROM clients_fts WHERE clients_fts MATCH ?`).pluck();
    for (const row of sample) expect(finds.all(`"${row.search_text.slice(0, 12).replaceAll('"', '""')}"`), row.search_text).toContain(row.rowid);
    return { backlog: counts.backlog, clients: counts.clients };
  } finally {
    reader.close();
  }
}

/** The index as terms and positions, and the rows some searches find, on a connection to `path`. */
function indexContent(path: string) {
  const db = new BetterSqlite3(path);
  try {
    db.exec(`CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, clients_fts, 'row'); CREATE VIRTUAL TABLE temp.spots USING fts5vocab(main, clients_fts, 'instance')`);
    const terms = db.prepare(`SELECT term, doc, cnt FROM temp.terms ORDER BY term`).all();
    const spots = db.prepare(`SELECT count(*) AS n, sum(doc) AS docs, sum(doc * 97 + offset) AS mixed FROM temp.spots`).get();
    const found = ['dupont', 'client numero 12', '0612', 'dakar', 'imp00012', 'numero 2999', 'exemple'].map(
      (q) => db.prepare(`SELECT rowid FROM clients_fts WHERE clients_fts MATCH ? ORDER BY rowid`).pluck().all(`"${q}"`),
    );
    return { terms, spots, found };
  } finally {
    db.close();
  }
}

describe('the search backlog under SIGKILL', () => {
  it('keeps every client indexed or listed through kills during an import and its indexing, then ends equal to a full rebuild', async () => {
    // Killed during the import, once a chunk has committed.
    const during = await runChild(lines, (line) => (line.startsWith('C ') ? Math.random() * 300 : undefined));
    expect(during.stderr).toBe('');
    const afterImportKill = checkKilledBase();

    // The same file again, in full, then killed while its backlog is indexed.
    const again = await runChild(lines, (line) => (line.startsWith('B ') && Number(line.slice(2)) > 0 ? Math.random() * 150 : undefined));
    expect(again.stderr).toBe('');
    expect(again.seen).toContain('DONE true');
    const left = [checkKilledBase().backlog];

    // Started again and killed again while it resumes, a few times.
    for (let i = 0; i < 3 && left.at(-1)! > 0; i++) {
      const resumed = await runChild(0, (line) => (line === 'READY' ? 30 + Math.random() * 200 : undefined));
      expect(resumed.stderr).toBe('');
      left.push(checkKilledBase().backlog);
    }
    console.log(`backlog left after each kill: ${afterImportKill.backlog} (during the import), ${left.join(", ")}`);
    // Some kill really fell with a backlog left, and each start went on from what the last one left.
    expect(Math.max(afterImportKill.backlog, ...left)).toBeGreaterThan(0);
    for (let i = 1; i < left.length; i++) expect(left[i]!).toBeLessThanOrEqual(left[i - 1]!);

    // Started once more and left to finish.
    const last = await runChild(0, () => undefined);
    expect(last.stderr).toBe('');
    expect(last.caughtUp).toBe(true);
    const final = checkKilledBase();
    expect(final.backlog).toBe(0);
    expect(final.clients).toBe(2000 + lines);

    const db = new BetterSqlite3(file);
    try {
      expect(() => db.exec(`INSERT INTO clients_fts (clients_fts, rank) VALUES ('integrity-check', 1)`)).not.toThrow();
    } finally {
      db.close();
    }
    const rebuilt = join(dir, 'rebuilt.db');
    copyFileSync(file, rebuilt);
    const copy = new BetterSqlite3(rebuilt);
    copy.exec(`INSERT INTO clients_fts (clients_fts) VALUES ('rebuild')`);
    copy.close();
    const ours = indexContent(file);
    const reference = indexContent(rebuilt);
    expect(ours.spots).toEqual(reference.spots);
    expect(ours.terms).toEqual(reference.terms);
    expect(ours.found).toEqual(reference.found);
    expect(ours.found.every((rows) => rows.length > 0)).toBe(true);
  }, 300_000);
});
