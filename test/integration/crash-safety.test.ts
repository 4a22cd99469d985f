// A recorded click survives the process dying at any moment: a child records attempts in a loop
// and is killed with SIGKILL at random points, again and again. Every id it reported (after the
// call resolved) must be in the database with its outbox entry, every client's stored status must
// equal a recomputation from the history, and the file must pass integrity_check.

import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertClient } from '../../db/clients.ts';
import { openDatabase } from '../../db/connection.ts';
import { demoClient } from '../../db/demo.ts';
import { writeTransaction } from '../../db/tx.ts';
import { recomputedStatuses } from '../helpers/db-snapshot.ts';
import { tempDir } from '../helpers/local-db.ts';

const worker = fileURLToPath(new URL('./crash-safety.worker.ts', import.meta.url));
const kills = 24;
const clientCount = 30;

let dir: string;
let file: string;
let codes: string[];

beforeAll(async () => {
  dir = tempDir('desk-crash-');
  file = join(dir, 'desk.db');
  const local = await openDatabase(file);
  codes = Array.from({ length: clientCount }, (_, i) => demoClient(i).code);
  await writeTransaction(local.db, async (trx) => {
    for (let i = 0; i < clientCount; i++) await upsertClient(trx, demoClient(i), '2026-11-26T08:00:00.000Z');
  });
  await local.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Round {
  attempts: string[];
  voids: string[];
  exitSignal: NodeJS.Signals | null;
  stderr: string;
}

/** Starts the worker, lets it write for a random while once it is ready, then SIGKILLs it. */
function runAndKill(): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [worker, file, codes.join(',')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const round: Round = { attempts: [], voids: [], exitSignal: null, stderr: '' };
    let buffered = '';
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => (round.stderr += text));
    child.stdout.on('data', (text: string) => {
      buffered += text;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? ''; // a line cut by the kill was never fully reported
      for (const line of lines) {
        if (line === 'READY' && !timer) timer = setTimeout(() => child.kill('SIGKILL'), 20 + Math.random() * 280);
        else if (line.startsWith('A ')) round.attempts.push(line.slice(2));
        else if (line.startsWith('V ')) round.voids.push(line.slice(2));
      }
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(giveUp);
      clearTimeout(timer);
      round.exitSignal = signal;
      resolve(round);
    });
  });
}

describe('crash safety', () => {
  it(`keeps every reported attempt and a consistent file across ${kills} SIGKILLs`, async () => {
    const attempts: string[] = [];
    const voids: string[] = [];
    for (let i = 0; i < kills; i++) {
      const round = await runAndKill();
      expect(round.exitSignal, `worker ended by itself: ${round.stderr}`).toBe('SIGKILL');
      attempts.push(...round.attempts);
      voids.push(...round.voids);
    }
    expect(attempts.length).toBeGreaterThan(kills);

    const local = await openDatabase(file);
    try {
      const { sqlite } = local;
      expect(sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(sqlite.pragma('foreign_key_check')).toEqual([]);

      const storedAttempts = new Set(sqlite.prepare(`SELECT id FROM attempts`).pluck().all() as string[]);
      const queuedAttempts = new Set(sqlite.prepare(`SELECT record_id FROM outbox WHERE kind = 'attempt'`).pluck().all() as string[]);
      const storedVoids = new Set(sqlite.prepare(`SELECT attempt_id FROM voids`).pluck().all() as string[]);
      const queuedVoids = new Set(sqlite.prepare(`SELECT record_id FROM outbox WHERE kind = 'void'`).pluck().all() as string[]);
      expect(attempts.filter((id) => !storedAttempts.has(id))).toEqual([]);
      expect(attempts.filter((id) => !queuedAttempts.has(id))).toEqual([]);
      expect(voids.filter((id) => !storedVoids.has(id))).toEqual([]);
      expect(voids.filter((id) => !queuedVoids.has(id))).toEqual([]);
      // Nothing half-written either: every stored attempt or void is queued, and the reverse.
      expect([...storedAttempts].filter((id) => !queuedAttempts.has(id))).toEqual([]);
      expect([...queuedAttempts].filter((id) => !storedAttempts.has(id))).toEqual([]);
      expect([...storedVoids].filter((id) => !queuedVoids.has(id))).toEqual([]);

      const { stored, recomputed } = recomputedStatuses(sqlite);
      expect(stored).toEqual(recomputed);
      console.info(`crash safety: ${kills} kills, ${attempts.length} attempts and ${voids.length} undos reported, ${storedAttempts.size} stored`);
    } finally {
      await local.close();
    }
  }, 60_000);
});
