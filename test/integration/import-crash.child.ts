// Child process of the crash tests (import-crash.test.ts, search-backlog-kill.test.ts): the desk's
// database worker, started as the app starts it, importing a large clients file and printing the
// lines committed each time the progress says more were; with --watch-backlog, then left to index
// its search backlog (db/search-backlog.ts) while a reader of its own watches it shrink. The parent
// SIGKILLs it at random moments. Run with Node's own type stripping:
//   node test/integration/import-crash.child.ts <db file> <lines to import, 0: none> [--watch-backlog]
// Lines: "READY", "C <lines committed>", "DONE <ok>", then "B <clients not yet indexed>", "CAUGHT_UP".

import BetterSqlite3 from 'better-sqlite3';
import { startDatabase } from '../../db/database-client.ts';
import { clientsFile } from './import-file.ts';

const [file, linesArg, watch] = process.argv.slice(2);
if (!file || linesArg === undefined) throw new Error('usage: import-crash.child.ts <database file> <lines> [--watch-backlog]');

let committed = 0;
const database = await startDatabase({
  file,
  emit: (event, payload) => {
    const seen = event === 'importProgress' ? ((payload as { linesCommitted?: number }).linesCommitted ?? 0) : 0;
    if (seen > committed) {
      committed = seen;
      process.stdout.write(`C ${seen}\n`);
    }
  },
});
process.stdout.write('READY\n');
const lines = Number(linesArg);
if (lines > 0) {
  const result = await database.call('importClients', { content: clientsFile(lines), importId: 'crash' });
  process.stdout.write(`DONE ${JSON.stringify(result.ok)}\n`);
}
if (watch === '--watch-backlog') {
  const reader = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  const size = reader.prepare('SELECT count(*) FROM clients_fts_pending').pluck();
  for (;;) {
    const left = Number(size.get());
    process.stdout.write(`B ${left}\n`);
    if (left === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  reader.close();
  process.stdout.write('CAUGHT_UP\n');
}
await database.stop();
