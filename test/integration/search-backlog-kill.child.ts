// Child process of search-backlog-kill.test.ts: the desk's database worker, as the app starts it,
// optionally importing a clients file, then left to index its search backlog (db/search-backlog.ts).
// It prints what it does; the parent SIGKILLs it at random moments. Run with Node's type stripping:
//   node test/integration/search-backlog-kill.child.ts <db file> <lines to import, 0: none>
// Lines: "READY", "C <lines committed>", "DONE", "B <clients not yet indexed>", "CAUGHT_UP".

import BetterSqlite3 from 'better-sqlite3';
import { startDatabase } from '../../db/database-client.ts';
import { clientsFile } from './import-file.ts';

const [file, linesArg] = process.argv.slice(2);
if (!file || linesArg === undefined) throw new Error('usage: search-backlog-kill.child.ts <database file> <lines>');

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
  const result = await database.call('importClients', { content: clientsFile(lines), importId: 'kill' });
  process.stdout.write(`DONE ${JSON.stringify(result.ok)}\n`);
}
// The worker indexes the backlog in the background; a reader of its own watches it shrink.
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
await database.stop();
