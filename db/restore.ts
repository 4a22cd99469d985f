// What a restore must not lose: the attempts and voids the replaced base had not yet synced. They
// are read from the replaced base's outbox (set aside, not deleted) and applied to the restored one
// as a pulled page would be (known ids change nothing), with their outbox entries, so they are
// still pushed. The clients they belong to come along if the backup predates them, and the
// statuses of every client touched are recomputed from the history now in the base.

import BetterSqlite3 from 'better-sqlite3';
import type { AttemptRecord, VoidRecord } from '../contract/index.ts';
import type { LocalDatabase } from './connection.ts';
import { recomputeClientStatus } from './status.ts';
import { applyPulledPage } from './sync-apply.ts';
import { writeTransaction } from './tx.ts';

interface OutboxRow {
  kind: 'attempt' | 'void';
  record_id: string;
  payload: string;
  created_at: string;
  state: 'pending' | 'dead';
}

export interface CarriedOutbox {
  carried: number;
  unreadable: boolean;
}

function readOutbox(file: string): OutboxRow[] | null {
  let old: BetterSqlite3.Database | null = null;
  try {
    old = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    return old.prepare('SELECT kind, record_id, payload, created_at, state FROM outbox ORDER BY seq').all() as OutboxRow[];
  } catch {
    return null;
  } finally {
    old?.close();
  }
}

export async function carryOutbox(fromFile: string, into: LocalDatabase, at: string): Promise<CarriedOutbox> {
  const rows = readOutbox(fromFile);
  if (rows === null) return { carried: 0, unreadable: true };
  if (rows.length === 0) return { carried: 0, unreadable: false };
  const attempts: AttemptRecord[] = [];
  const voids: VoidRecord[] = [];
  for (const row of rows) {
    const record = JSON.parse(row.payload) as AttemptRecord & VoidRecord;
    if (row.kind === 'attempt') attempts.push(record);
    else voids.push(record);
  }
  const codes = [...new Set(attempts.map((a) => a.clientCode))];

  // The clients those attempts belong to, copied from the replaced base when the backup lacks them.
  // A replaced base too damaged to attach, or of another version (other columns), gives none: the
  // attempts then wait (parked) for their clients to be pulled or imported.
  const { sqlite } = into;
  let attached = false;
  try {
    sqlite.prepare('ATTACH DATABASE ? AS replaced').run(fromFile);
    attached = true;
  } catch {
    // Not attachable: the records alone are carried.
  }
  try {
    await writeTransaction(into.db, async (trx) => {
      let copy: BetterSqlite3.Statement | null = null;
      try {
        if (attached) copy = sqlite.prepare('INSERT OR IGNORE INTO main.clients SELECT * FROM replaced.clients WHERE code = ?');
      } catch {
        copy = null;
      }
      for (const code of copy ? codes : []) {
        try {
          copy!.run(code);
        } catch {
          // A damaged page of the old clients table: that client's attempts wait (parked).
        }
      }
      await applyPulledPage(trx, { clients: [], attempts, voids }, at);
      const hasEntry = sqlite.prepare('SELECT 1 FROM outbox WHERE kind = ? AND record_id = ?');
      const enqueue = sqlite.prepare(`INSERT INTO outbox (kind, record_id, payload, created_at, state) VALUES (?, ?, ?, ?, ?)`);
      for (const row of rows) {
        if (!hasEntry.get(row.kind, row.record_id)) enqueue.run(row.kind, row.record_id, row.payload, row.created_at, row.state);
      }
      const clientOf = sqlite.prepare('SELECT client_code AS code FROM attempts WHERE id = ?');
      const touched = new Set(codes);
      for (const v of voids) {
        const found = clientOf.get(v.attemptId) as { code: string } | undefined;
        if (found) touched.add(found.code);
      }
      for (const code of touched) await recomputeClientStatus(trx, code);
    });
  } finally {
    if (attached) sqlite.prepare('DETACH DATABASE replaced').run();
  }
  return { carried: rows.length, unreadable: false };
}
