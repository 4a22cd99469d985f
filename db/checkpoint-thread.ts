// The WAL checkpoint of the desk's base on a thread of its own, with its own connection. Copying an
// import's WAL pages back into the base and syncing it took 35–80 ms (p50 43–52 ms) on the database
// worker's thread, every 10 chunks, and each click that came in meanwhile waited for it: with the
// chunk in progress, the largest part of a click's p99 during an import (docs/PERFORMANCE.md). A
// PASSIVE checkpoint runs beside the writers in SQLite's WAL mode; here it also runs beside them on
// the CPU. The timing stays db/checkpoint.ts's, in the database worker: this only does the work.
//
// The thread runs a few lines given as source text (no module file of its own to bundle, and none
// of the desk's modules loaded in it: only better-sqlite3, resolved from here).

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface CheckpointThread {
  /** Runs one PASSIVE checkpoint; rejects with SQLite's error (a full disk). */
  checkpoint(): Promise<void>;
  /** Closes its connection before the database worker's own closes (the last one removes the WAL). */
  close(): Promise<void>;
}

function checkpointThreadMain(start: { driver: string; file: string }): void {
  // process.getBuiltinModule: this runs from its source text, where no import can be written.
  const { parentPort } = process.getBuiltinModule('node:worker_threads');
  const { createRequire: requireFrom } = process.getBuiltinModule('node:module');
  const Database = requireFrom(start.driver)(start.driver) as typeof import('better-sqlite3');
  const db = new Database(start.file, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  // It never writes: its only work is the checkpoint it is asked for.
  db.pragma('wal_autocheckpoint = 0');
  parentPort!.on('message', (message: { id: number } | 'close') => {
    if (message === 'close') {
      db.close();
      parentPort!.close();
      return;
    }
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
      parentPort!.postMessage({ id: message.id, ok: true });
    } catch (error) {
      const { message: text, code } = error as { message?: string; code?: string };
      parentPort!.postMessage({ id: message.id, ok: false, message: String(text ?? error), code });
    }
  });
}

export function startCheckpointThread(file: string): CheckpointThread {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const thread = new Worker(`(${checkpointThreadMain.toString()})(require('node:worker_threads').workerData)`, {
    eval: true,
    workerData: { driver, file },
    name: 'desk-checkpoint',
    // It allocates next to nothing: V8's default young generation would be most of its memory.
    resourceLimits: { maxYoungGenerationSizeMb: 2 },
  });
  thread.unref();
  const waiting = new Map<number, { resolve(): void; reject(error: Error): void }>();
  let nextId = 1;
  let failure: Error | null = null;
  const failAll = (error: Error) => {
    failure = error;
    for (const call of waiting.values()) call.reject(error);
    waiting.clear();
  };
  thread.on('message', (reply: { id: number; ok: boolean; message?: string; code?: string }) => {
    const call = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (reply.ok) call?.resolve();
    else call?.reject(Object.assign(new Error(reply.message ?? 'checkpoint failed'), { code: reply.code }));
  });
  thread.on('error', (error) => failAll(error));
  const exited = new Promise<void>((resolve) =>
    thread.once('exit', () => {
      failAll(new Error('the checkpoint thread stopped'));
      resolve();
    }),
  );
  return {
    checkpoint: () =>
      failure
        ? Promise.reject(failure)
        : new Promise<void>((resolve, reject) => {
            const id = nextId++;
            waiting.set(id, { resolve, reject });
            thread.postMessage({ id });
          }),
    close: async () => {
      if (!failure) thread.postMessage('close');
      await exited;
    },
  };
}
