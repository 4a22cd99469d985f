import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/connection.ts';
import { migrationProvider } from '../../db/migrations/index.ts';
import { snapshotDatabase } from '../helpers/db-snapshot.ts';
import { tempDir } from '../helpers/local-db.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freshFile(): string {
  const dir = tempDir('desk-migrations-');
  dirs.push(dir);
  return join(dir, 'desk.db');
}

describe('local database file', () => {
  it('migrates an empty file to the latest schema', async () => {
    const file = freshFile();
    expect(existsSync(file)).toBe(false);
    const local = await openDatabase(file);
    try {
      const applied = local.sqlite.prepare(`SELECT name FROM kysely_migration ORDER BY name`).pluck().all();
      expect(applied).toEqual(Object.keys(await migrationProvider.getMigrations()).sort());
      const tables = local.sqlite.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all();
      expect(tables).toEqual(expect.arrayContaining(['meta', 'clients', 'clients_fts', 'attempts', 'voids', 'outbox']));
      expect(local.deviceId).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await local.close();
    }
  });

  it('runs nothing and changes nothing when reopened', async () => {
    const file = freshFile();
    const first = await openDatabase(file);
    const before = snapshotDatabase(first.sqlite);
    const deviceId = first.deviceId;
    await first.close();
    const again = await openDatabase(file);
    try {
      expect(again.deviceId).toBe(deviceId);
      expect(snapshotDatabase(again.sqlite)).toEqual(before);
    } finally {
      await again.close();
    }
  });

  it('sets the durability PRAGMAs connection.ts promises', async () => {
    const local = await openDatabase(freshFile());
    try {
      expect(local.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(local.sqlite.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect(local.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(local.sqlite.pragma('busy_timeout', { simple: true })).toBe(5000);
    } finally {
      await local.close();
    }
  });

  it('keeps attempts immutable: no UPDATE, no DELETE, no attempt without its client', async () => {
    const local = await openDatabase(freshFile());
    try {
      const at = '2026-11-26T09:00:00.000Z';
      local.sqlite
        .prepare(`INSERT INTO clients (code, name, name_key, search_text, created_at, updated_at) VALUES ('C1', 'A', 'a', 'a c1', ?, ?)`)
        .run(at, at);
      local.sqlite
        .prepare(
          `INSERT INTO attempts (id, client_code, agent_id, agent_name, occurred_at, utc_offset_min, status, channel, note, device_id)
           VALUES ('a1', 'C1', 'agent', 'Awa', ?, 60, 'success', 'phone', NULL, 'dev')`,
        )
        .run(at);
      expect(() => local.sqlite.prepare(`UPDATE attempts SET status = 'failure' WHERE id = 'a1'`).run()).toThrow(/immutable/);
      expect(() => local.sqlite.prepare(`DELETE FROM attempts WHERE id = 'a1'`).run()).toThrow(/kept/);
      expect(() =>
        local.sqlite
          .prepare(
            `INSERT INTO attempts (id, client_code, agent_id, agent_name, occurred_at, utc_offset_min, status, channel, note, device_id)
             VALUES ('a2', 'NOPE', 'agent', 'Awa', ?, 60, 'success', 'phone', NULL, 'dev')`,
          )
          .run(at),
      ).toThrow(/FOREIGN KEY/);
      expect(local.sqlite.prepare(`SELECT status FROM attempts WHERE id = 'a1'`).pluck().get()).toBe('success');
    } finally {
      await local.close();
    }
  });
});
