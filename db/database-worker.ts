// The database worker: a worker thread that owns the desk's database connection and runs every
// domain operation, so that main (Electron's windows, menu and IPC) and the web bridge's HTTP
// server never wait on SQLite. Its client is db/database-client.ts; it hosts the sync worker
// (sync/host.ts), which keeps its own connection. Bundled as out/main/database-worker.js.

import { parentPort, workerData } from 'node:worker_threads';
import { DeskError, dispatch, errorPayload } from '../contract/index.ts';
import { openBaseKeeper, type BaseKeeper } from './base-keeper.ts';
import type { LocalDatabase } from './connection.ts';
import type { ClientMessage, DatabaseStartData, MainQuestion, WorkerMessage } from './database-messages.ts';
import type { EmitEvent } from './desk.ts';
import { storageError } from './storage-errors.ts';
import type { Keychain } from '../sync/host.ts';
import type { ProxyResolver } from '../sync/proxy.ts';

if (!parentPort) throw new Error('db/database-worker.ts runs as a worker thread, started by db/database-client.ts');
const port = parentPort;
const send = (message: WorkerMessage) => port.postMessage(message);
const start = workerData as DatabaseStartData;

// Electron's keychain and the system's proxy settings live in main: the sync host asks through the channel.
let nextMainQuestion = 1;
const mainQuestions = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
function askMain(method: MainQuestion, arg: string | Uint8Array | null): Promise<unknown> {
  const id = nextMainQuestion++;
  return new Promise((resolve, reject) => {
    mainQuestions.set(id, { resolve, reject });
    send({ type: 'askMain', id, method, arg });
  });
}
const keychain: Keychain = {
  isEncryptionAvailable: async () => (await askMain('isEncryptionAvailable', null)) === true,
  encryptString: async (plain) => (await askMain('encryptString', plain)) as Uint8Array,
  decryptString: async (sealed) => (await askMain('decryptString', new Uint8Array(sealed))) as string,
};

const resolveProxy: ProxyResolver = async (url) => String(await askMain('resolveProxy', url));

const emit: EmitEvent = (event, payload) => send({ type: 'event', event, payload });

// Main's answers are needed while the sync host starts, before the rest is listened to.
let onRequest: (message: Exclude<ClientMessage, { type: 'mainAnswer' }>) => void = () => undefined;
port.on('message', (message: ClientMessage) => {
  if (message.type !== 'mainAnswer') return onRequest(message);
  const call = mainQuestions.get(message.id);
  mainQuestions.delete(message.id);
  if (message.ok) call?.resolve(message.value);
  else call?.reject(new Error(message.error));
});

/**
 * After a write failed on a full disk: copy what the WAL holds into the base and truncate it, so that
 * the frames of a rolled-back transaction (an import's chunk: megabytes) do not keep the space. On a
 * disk too full even for that, it tries again every few seconds until the agent has freed space.
 */
let walRetry: NodeJS.Timeout | undefined;
function releaseWal(local: LocalDatabase): void {
  clearTimeout(walRetry);
  walRetry = undefined;
  if (!local.sqlite.open) return;
  let done = false;
  try {
    // A checkpoint that could not finish (a reader in the way) says so in its row rather than throwing.
    const [row] = local.sqlite.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    done = row?.busy === 0;
  } catch (error) {
    console.error('[database] disk full: the WAL cannot be truncated yet', (error as Error).message);
  }
  if (!done) {
    walRetry = setTimeout(() => releaseWal(local), walRetryMs);
    walRetry.unref();
  }
}
const walRetryMs = 2000;

async function run(): Promise<void> {
  let keeper: BaseKeeper;
  try {
    keeper = await openBaseKeeper({ file: start.file, sync: start.sync, keychain, resolveProxy, emit, backupIntervalMs: start.backupIntervalMs, backupAtQuit: start.backupAtQuit, systemNotices: start.systemNotices ?? false, onDiskFull: releaseWal });
  } catch (error) {
    const named = storageError(error);
    send({
      type: 'startFailed',
      error: named ? named.toPayload() : errorPayload('database.unavailable', { details: String(error).slice(0, 300) }),
      details: String(error).slice(0, 1000),
    });
    // The client ends this thread once it has read why.
    return;
  }

  let stopping = false;
  onRequest = (message) => {
    switch (message.type) {
      case 'call':
        void dispatch(keeper.handlers, message.operation, message.input, (operation, error) =>
          console.error(`[database] ${operation} failed`, error),
        ).then((result) => send({ type: 'result', id: message.id, result }));
        break;
      case 'maintenance': {
        const { task } = message;
        const work =
          task.action === 'backupTo'
            ? keeper.backupTo(task.file)
            : task.action === 'restoreFrom'
              ? keeper.restoreFrom(task.file)
              : task.action === 'diagnose'
                ? keeper.diagnose()
                : keeper.importFile(task.file, task.importId);
        void work.then(
          (value) => send({ type: 'maintenanceDone', id: message.id, result: { ok: true, value } }),
          (error: unknown) => {
            const named = error instanceof DeskError ? error : storageError(error);
            if (!named) console.error(`[database] ${task.action} failed`, error);
            send({ type: 'maintenanceDone', id: message.id, result: { ok: false, error: named ? named.toPayload() : errorPayload('internal') } });
          },
        );
        break;
      }
      case 'online':
        // Forwarded to the sync host of the open session, if any (see base-keeper.ts).
        keeper.setOnline(message.online);
        break;
      case 'stop':
        if (stopping) return;
        stopping = true;
        void (async () => {
          await keeper.stop();
          send({ type: 'stopped' });
          port.close();
        })();
        break;
    }
  };
  send({ type: 'ready', deviceId: keeper.deviceId(), problem: keeper.problem() });
}

await run();
