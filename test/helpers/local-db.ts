// A real database file in a fresh temporary folder, removed after the test.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type LocalDatabase } from '../../db/connection.ts';
import type { Clock } from '../../db/clock.ts';
import { createDeskHandlers, type DeskOptions } from '../../db/desk.ts';
import type { DeskHandlers } from '../../contract/index.ts';

export interface TestDesk {
  dir: string;
  file: string;
  local: LocalDatabase;
  desk: DeskHandlers;
  clock: MovableClock;
  cleanup(): Promise<void>;
}

export class MovableClock implements Clock {
  private at: number;
  constructor(start = Date.parse('2026-11-26T09:00:00.000Z')) {
    this.at = start;
  }
  now(): Date {
    return new Date(this.at);
  }
  advance(ms: number): void {
    this.at += ms;
  }
  set(iso: string): void {
    this.at = Date.parse(iso);
  }
}

export function tempDir(prefix = 'desk-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function openTestDesk(options: Omit<DeskOptions, 'clock'> & { agentName?: string | null } = {}): Promise<TestDesk> {
  const dir = tempDir();
  const file = join(dir, 'desk.db');
  const local = await openDatabase(file);
  const clock = new MovableClock();
  const desk = createDeskHandlers(local, { ...options, clock });
  if (options.agentName !== null) await desk.updateSettings({ agentName: options.agentName ?? 'Awa Diallo' });
  return {
    dir,
    file,
    local,
    desk,
    clock,
    cleanup: async () => {
      await local.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
