// An import killed in the middle (SIGKILL, at random points) keeps whole chunks and nothing else:
// the clients in the base are exactly the first lines of the file, every line reported committed
// is there, the file passes integrity_check, and importing the same file again finishes it.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runKilledChild } from '../helpers/killed-child.ts';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/connection.ts';
import { createDeskHandlers } from '../../db/desk.ts';
import { tempDir } from '../helpers/local-db.ts';
import { clientsFile, importCode } from './import-file.ts';

const child = fileURLToPath(new URL('./import-crash.child.ts', import.meta.url));
const lines = 40_000;
const kills = 4;

let dir: string;
let file: string;

beforeAll(async () => {
  dir = tempDir('desk-import-crash-');
  file = join(dir, 'desk.db');
  const local = await openDatabase(file);
  await local.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the child until it has committed at least one chunk, then kills it a random while later. */
async function importAndKill(): Promise<{ committed: number; done: boolean; stderr: string }> {
  const run = await runKilledChild(child, [file, String(lines)], (line) => (line.startsWith('C ') ? Math.random() * 400 : undefined), 60_000);
  const committed = run.lines.filter((line) => line.startsWith('C ')).map((line) => Number(line.slice(2)));
  return { committed: committed.at(-1) ?? 0, done: run.lines.some((line) => line.startsWith('DONE')), stderr: run.stderr };
}

function storedCodes(): { codes: string[]; integrity: string } {
  const reader = new BetterSqlite3(file);
  try {
    const codes = (reader.prepare('SELECT code FROM clients ORDER BY code').all() as { code: string }[]).map((r) => r.code);
    const integrity = (reader.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check;
    return { codes, integrity };
  } finally {
    reader.close();
  }
}

describe('an import killed in the middle', () => {
  it(`keeps whole chunks, the first lines of the file, across ${kills} SIGKILLs; importing again finishes it`, async () => {
    let keptPartway = 0;
    for (let i = 0; i < kills; i++) {
      const round = await importAndKill();
      expect(round.stderr).toBe('');
      const { codes, integrity } = storedCodes();
      expect(integrity).toBe('ok');
      // Line 1 is the header: `committed` physical lines are committed - 1 clients, all there.
      expect(codes.length).toBeGreaterThanOrEqual(round.committed - 1);
      // Nothing but a prefix of the file: no line of a chunk that did not commit.
      expect(codes).toEqual(Array.from({ length: codes.length }, (_, k) => importCode(k)));
      if (round.done) expect(codes.length).toBe(lines);
      else if (codes.length > 0 && codes.length < lines) keptPartway++;
    }
    // The import was really cut in the middle, and what it had committed stayed.
    expect(keptPartway).toBeGreaterThan(0);
    const local = await openDatabase(file);
    try {
      const report = await createDeskHandlers(local).importClients({ fileName: 'clients.csv', content: clientsFile(lines) });
      expect(report.total).toBe(lines);
      expect(report.inserted + report.updated).toBe(lines);
    } finally {
      await local.close();
    }
    expect(storedCodes().codes.length).toBe(lines);
  }, 240_000);
});
