// Child process of crash-safety.test.ts: records attempts (and takes some back) as fast as it can
// through the same handlers main uses, and prints each id only once the call has resolved, i.e.
// once the app would have told the agent "recorded". The parent kills it at random moments.
// Run with Node's own type stripping: node test/integration/crash-safety.worker.ts <db> <codes>

import { openDatabase } from '../../db/connection.ts';
import { createDeskHandlers } from '../../db/desk.ts';

const [file, codesArg] = process.argv.slice(2);
if (!file || !codesArg) throw new Error('usage: crash-safety.worker.ts <database file> <comma-separated client codes>');
const codes = codesArg.split(',');

const local = await openDatabase(file);
const desk = createDeskHandlers(local);
const settings = await desk.getSettings({});
if (!settings.agent) await desk.updateSettings({ agentName: 'Agent Crash' });
process.stdout.write('READY\n');

for (let i = 0; ; i++) {
  const clientCode = codes[Math.floor(Math.random() * codes.length)] as string;
  const status = Math.random() < 0.5 ? 'success' : 'failure';
  const { attempt } = await desk.recordAttempt({ clientCode, status, channel: 'phone', note: `tentative ${i}` });
  process.stdout.write(`A ${attempt.id}\n`);
  if (i % 5 === 4) {
    await desk.undoAttempt({ attemptId: attempt.id });
    process.stdout.write(`V ${attempt.id}\n`);
  }
}
