// Import of a clients file into the local database: every valid line in one transaction, so an
// import either lands whole or not at all (a file that turns out unreadable halfway changes
// nothing). Clients already known are updated by code; their status and history stay theirs.

import type { Kysely } from 'kysely';
import { DeskError, errorPayload, limits, type ImportRejectedLine, type ImportReport } from '../contract/index.ts';
import { upsertClient } from './clients.ts';
import { parseClientsCsv, type ClientsSource } from './csv-clients.ts';
import type { Database } from './schema.ts';
import { writeTransaction } from './tx.ts';

export interface ImportProgressReport {
  linesRead: number;
  bytesRead: number;
  bytesTotal: number;
}

export interface ImportOptions {
  /** When the import happens: the clients' updated_at. */
  at: string;
  bytesTotal: number;
  onProgress?: (progress: ImportProgressReport) => void;
  /** Lines between two progress reports. */
  progressEvery?: number;
}

/** The report lists this many rejected lines at most; a wrong file would otherwise list them all. */
export const maxRejectedListed = 1000;

export async function importClients(db: Kysely<Database>, source: ClientsSource, options: ImportOptions): Promise<ImportReport> {
  if (options.bytesTotal > limits.importBytes) {
    throw new DeskError('import.tooLarge', { size: options.bytesTotal, max: limits.importBytes });
  }
  const every = options.progressEvery ?? 500;
  const report = (linesRead: number, bytesRead: number) =>
    options.onProgress?.({ linesRead, bytesRead: Math.min(bytesRead, options.bytesTotal), bytesTotal: options.bytesTotal });

  return writeTransaction(db, async (trx) => {
    let total = 0;
    let inserted = 0;
    let updated = 0;
    let rejectedCount = 0;
    const rejected: ImportRejectedLine[] = [];
    let linesRead = 0;
    let bytesRead = 0;
    let nextReport = every;

    for await (const entry of parseClientsCsv(source)) {
      total++;
      linesRead = entry.linesRead;
      bytesRead = entry.bytesRead;
      if ('client' in entry) {
        if ((await upsertClient(trx, entry.client, options.at)) === 'inserted') inserted++;
        else updated++;
      } else {
        rejectedCount++;
        if (rejected.length < maxRejectedListed) {
          const { code, params } = entry.rejected;
          rejected.push({ line: entry.line, code, message: errorPayload(code, params).message });
        }
      }
      if (total >= nextReport) {
        report(linesRead, bytesRead);
        nextReport += every;
      }
    }
    report(linesRead, options.bytesTotal);
    return { total, inserted, updated, rejected, rejectedTruncated: rejectedCount > rejected.length };
  });
}
