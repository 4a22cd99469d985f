// Child process of import-crash.test.ts: imports a large clients file through the database worker,
// as the app does, and prints the lines committed each time the progress says more were. The parent
// SIGKILLs it in the middle. Run with Node's own type stripping:
//   node test/integration/import-crash.child.ts <db file> <lines>

import { startDatabase } from '../../db/database-client.ts';
import { clientsFile } from './import-file.ts';

const [file, linesArg] = process.argv.slice(2);
if (!file || !linesArg) throw new Error('usage: import-crash.child.ts <database file> <lines>');

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
const result = await database.call('importClients', { content: clientsFile(Number(linesArg)), importId: 'crash' });
process.stdout.write(`DONE ${JSON.stringify(result.ok)}\n`);
await database.stop();
