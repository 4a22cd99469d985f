// (being written) CSV import of clients.
import type { Kysely } from 'kysely';
import type { Readable } from 'node:stream';
import type { ImportReport } from '../contract/index.ts';
import type { Database } from './schema.ts';

export interface ImportOptions {
  at: string;
  bytesTotal: number;
  onProgress?: (progress: { linesRead: number; bytesRead: number; bytesTotal: number }) => void;
}

export async function importClients(_db: Kysely<Database>, _source: Readable, _options: ImportOptions): Promise<ImportReport> {
  throw new Error('not yet');
}
