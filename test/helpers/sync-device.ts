// A device for sync tests: a real SQLite file, the real desk operations, enrolled on a real server
// with the real enrolment path, and the real engine on its own connection to the same file.

import { join } from 'node:path';
import { rmSync } from 'node:fs';
import type { DeskHandlers } from '../../contract/index.ts';
import { openDatabase, type LocalDatabase } from '../../db/connection.ts';
import { createDeskHandlers } from '../../db/desk.ts';
import { readSyncConfig } from '../../db/sync-meta.ts';
import { SyncEngine, type SyncEngineOptions } from '../../sync/engine.ts';
import { fetchTokenAgent, saveEnrolment } from '../../sync/enrol.ts';
import { MovableClock, tempDir } from './local-db.ts';

export interface DeviceSnapshot {
  attempts: { id: string; client: string; status: string; occurredAt: string; channel: string; note: string | null; deviceId: string }[];
  voids: { attemptId: string; kind: string; reason: string }[];
  clients: { code: string; status: string | null; lastAttemptId: string | null; lastAttemptAt: string | null; count: number }[];
  outbox: { pending: number; dead: number };
  parked: number;
}

export class TestDevice {
  readonly dir: string;
  readonly file: string;
  readonly clock: MovableClock;
  local!: LocalDatabase;
  /** The engine's own connection, as in the worker. */
  engineDb!: LocalDatabase;
  desk!: DeskHandlers;

  private constructor(dir: string, clock: MovableClock) {
    this.dir = dir;
    this.file = join(dir, 'desk.db');
    this.clock = clock;
  }

  static async create(clock = new MovableClock()): Promise<TestDevice> {
    const device = new TestDevice(tempDir('desk-device-'), clock);
    await device.open();
    return device;
  }

  private async open(): Promise<void> {
    this.local = await openDatabase(this.file);
    this.engineDb = await openDatabase(this.file);
    this.desk = createDeskHandlers(this.local, { clock: this.clock });
  }

  get deviceId(): string {
    return this.local.deviceId;
  }

  /** Enrols like the app does: GET /v1/me, then server, token and agent saved in one transaction. */
  async enrol(serverUrl: string, token: string): Promise<void> {
    const agent = await fetchTokenAgent(serverUrl, token);
    await saveEnrolment(this.local.db, { serverUrl, sealedToken: token, tokenStorage: 'plain', agent });
  }

  /** An engine on the stored server and token (or the URL given, e.g. a fault proxy in front). */
  async engine(options: Partial<SyncEngineOptions> & { serverUrl?: string } = {}): Promise<SyncEngine> {
    const config = await readSyncConfig(this.engineDb.db);
    if (!config.token || !config.serverUrl) throw new Error('device not enrolled');
    return new SyncEngine({
      db: this.engineDb.db,
      deviceId: this.deviceId,
      serverUrl: options.serverUrl ?? config.serverUrl,
      token: config.token,
      clock: this.clock,
      timeoutMs: 5_000,
      ...options,
    });
  }

  async sync(options: Partial<SyncEngineOptions> & { serverUrl?: string } = {}) {
    return (await this.engine(options)).sync();
  }

  async click(clientCode: string, status: 'success' | 'failure' = 'success', note?: string, reason?: string) {
    this.clock.advance(1000);
    return this.desk.recordAttempt({ clientCode, status, channel: 'phone', ...(note ? { note } : {}), ...(reason ? { reason } : {}) });
  }

  /** Reasons kept beside attempts, by attempt id. */
  async reasons(): Promise<Record<string, string>> {
    const rows = await this.local.db.selectFrom('attempt_reasons').select(['attempt_id', 'code']).orderBy('attempt_id').execute();
    return Object.fromEntries(rows.map((r) => [r.attempt_id, r.code]));
  }

  /** Pulled changes set aside as unreadable (db/sync-unknown.ts). */
  async unknownCount(): Promise<number> {
    return (await this.local.db.selectFrom('sync_unknown').select('seq').execute()).length;
  }

  /** The app closing and opening again on the same file. */
  async restart(): Promise<void> {
    await this.close();
    await this.open();
  }

  async snapshot(): Promise<DeviceSnapshot> {
    const db = this.local.db;
    const attempts = await db.selectFrom('attempts').selectAll().orderBy('id').execute();
    const voids = await db.selectFrom('voids').selectAll().orderBy('attempt_id').execute();
    const clients = await db.selectFrom('clients').selectAll().orderBy('code').execute();
    const outbox = await db.selectFrom('outbox').select(['state']).execute();
    const parked = await db.selectFrom('sync_parked').select('record_id').execute();
    return {
      attempts: attempts.map((a) => ({
        id: a.id,
        client: a.client_code,
        status: a.status,
        occurredAt: a.occurred_at,
        channel: a.channel,
        note: a.note,
        deviceId: a.device_id,
      })),
      voids: voids.map((v) => ({ attemptId: v.attempt_id, kind: v.kind, reason: v.reason })),
      clients: clients.map((c) => ({
        code: c.code,
        status: c.last_status,
        lastAttemptId: c.last_attempt_id,
        lastAttemptAt: c.last_attempt_at,
        count: c.attempt_count,
      })),
      outbox: {
        pending: outbox.filter((o) => o.state === 'pending').length,
        dead: outbox.filter((o) => o.state === 'dead').length,
      },
      parked: parked.length,
    };
  }

  async close(): Promise<void> {
    await this.engineDb.close();
    await this.local.close();
  }

  async cleanup(): Promise<void> {
    await this.close().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
