// A device as its own process, for crash drills: it records clicks and syncs with the real code,
// and kills itself with SIGKILL at the point the test names, as a power cut or a crash would.
//   node test/helpers/sync-child.ts <db file> <mode> <clientCode> <clicks>
// mode 'after-commit': the clicks are committed locally, the process dies before pushing.
// mode 'after-answer': the server has answered the push, the process dies before the outbox update.

import { openDatabase } from '../../db/connection.ts';
import { createDeskHandlers } from '../../db/desk.ts';
import { readSyncConfig } from '../../db/sync-meta.ts';
import { SyncEngine } from '../../sync/engine.ts';

const [file, mode, clientCode, clicks] = process.argv.slice(2);
if (!file || (mode !== 'after-commit' && mode !== 'after-answer') || !clientCode || !clicks) {
  console.error('usage: sync-child.ts <db file> after-commit|after-answer <clientCode> <clicks>');
  process.exit(2);
}

const die = () => process.kill(process.pid, 'SIGKILL');

const local = await openDatabase(file);
const desk = createDeskHandlers(local);
for (let i = 0; i < Number(clicks); i += 1) {
  await desk.recordAttempt({ clientCode, status: i % 2 ? 'failure' : 'success', channel: 'phone', note: `essai ${i}` });
}
const config = await readSyncConfig(local.db);
const engine = new SyncEngine({
  db: local.db,
  deviceId: local.deviceId,
  serverUrl: config.serverUrl!,
  token: config.token!,
  hooks: {
    beforePush: () => {
      if (mode === 'after-commit') die();
    },
    afterPushAnswer: () => {
      if (mode === 'after-answer') die();
    },
  },
});
await engine.sync();
console.error('sync-child: reached the end without being killed');
process.exit(3);
