// Builds the benchmark's database: 100,000 clients and 1,000,000 attempts over 90 days by 20
// agents, about 1% of them voided, with the statuses the app would have kept. Bulk-built with raw
// prepared statements in large transactions (durability off while building: a crash just means a
// rebuild), statuses set by one SQL statement, then handed over in the app's own WAL/FULL mode.
// Runs in its own process (node test/bench/build-db.ts <file>) so the benchmark's RSS is the app's.

import { renameSync, rmSync } from 'node:fs';
import { searchTextOf } from '../../db/clients.ts';
import { openDatabase } from '../../db/connection.ts';
import { demoClient, seededRandom } from '../../db/demo.ts';
import { uuidv7 } from '../../db/ids.ts';
import { foldText } from '../../contract/index.ts';

/** Bump when the generated data changes, so cached files are rebuilt. */
export const benchDataVersion = 1;

export const benchShape = {
  clients: 100_000,
  attempts: 1_000_000,
  agents: 20,
  days: 90,
  voidRatio: 0.01,
  /** The generated history ends here; the benchmark's own clicks come after. */
  endsAt: Date.parse('2026-11-25T18:00:00.000Z'),
} as const;


export async function buildBenchDatabase(target: string, log: (line: string) => void = () => undefined): Promise<void> {
  const building = `${target}.building`;
  for (const suffix of ['', '-wal', '-shm']) rmSync(building + suffix, { force: true });
  const local = await openDatabase(building);
  const { sqlite, deviceId } = local;
  const started = performance.now();
  sqlite.pragma('synchronous = OFF');
  sqlite.pragma('cache_size = -200000');

  const createdAt = new Date(benchShape.endsAt - benchShape.days * 86_400_000).toISOString();
  const insertClient = sqlite.prepare(
    `INSERT INTO clients (code, name, phones, email, city, address, extra, name_key, search_text, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, '{}', ?, ?, ?, ?)`,
  );
  const codes: string[] = [];
  sqlite.transaction(() => {
    for (let i = 0; i < benchShape.clients; i++) {
      const c = demoClient(i);
      codes.push(c.code);
      insertClient.run(c.code, c.name, JSON.stringify(c.phones), c.email, c.city, c.address, foldText(c.name), searchTextOf(c), createdAt, createdAt);
    }
  })();
  log(`  ${benchShape.clients} clients in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const next = seededRandom(42);
  const agents = Array.from({ length: benchShape.agents }, (_, i) => ({ id: `agent-${String(i + 1).padStart(2, '0')}`, name: `Agent ${i + 1}` }));
  const channels = ['phone', 'phone', 'phone', 'whatsapp', 'sms', 'email', 'visit'];
  const insertAttempt = sqlite.prepare(
    `INSERT INTO attempts (id, client_code, agent_id, agent_name, occurred_at, utc_offset_min, status, channel, note, device_id)
     VALUES (?, ?, ?, ?, ?, 60, ?, ?, ?, ?)`,
  );
  const insertVoid = sqlite.prepare(
    `INSERT INTO voids (attempt_id, agent_id, agent_name, voided_at, utc_offset_min, reason, kind, device_id)
     VALUES (?, ?, ?, ?, 60, ?, ?, ?)`,
  );
  const span = benchShape.days * 86_400_000;
  const step = span / benchShape.attempts;
  const batch = 200_000;
  for (let start = 0; start < benchShape.attempts; start += batch) {
    sqlite.transaction(() => {
      for (let i = start; i < Math.min(benchShape.attempts, start + batch); i++) {
        const at = benchShape.endsAt - span + Math.floor(i * step);
        const id = uuidv7({ msecs: at });
        const agent = agents[Math.floor(next() * agents.length)] as (typeof agents)[number];
        // Skewed towards a minority of clients, as in real campaigns: some are called many times.
        const client = codes[Math.floor(next() ** 2 * codes.length)] as string;
        const status = next() < 0.45 ? 'success' : 'failure';
        const note = next() < 0.2 ? 'Rappeler en fin de journée' : null;
        insertAttempt.run(id, client, agent.id, agent.name, new Date(at).toISOString(), status, channels[Math.floor(next() * channels.length)], note, deviceId);
        if (next() < benchShape.voidRatio) {
          const undo = next() < 0.5;
          insertVoid.run(id, agent.id, agent.name, new Date(at + (undo ? 4_000 : 3_600_000)).toISOString(), undo ? 'Annulation immédiate par l’agent' : 'Mauvais client', undo ? 'undo' : 'void', deviceId);
        }
      }
    })();
    log(`  ${Math.min(benchShape.attempts, start + batch)} attempts in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }

  // The statuses the app keeps on each client row, from the latest non-voided attempt: one statement.
  sqlite.exec(`
    WITH live AS (
      SELECT a.client_code, a.id, a.occurred_at, a.status, a.agent_id, a.agent_name,
             row_number() OVER (PARTITION BY a.client_code ORDER BY a.occurred_at DESC, a.id DESC) AS rank,
             count(*) OVER (PARTITION BY a.client_code) AS n
        FROM attempts a
       WHERE NOT EXISTS (SELECT 1 FROM voids v WHERE v.attempt_id = a.id)
    )
    UPDATE clients
       SET last_status = live.status, last_attempt_at = live.occurred_at, last_attempt_id = live.id,
           last_agent_id = live.agent_id, last_agent_name = live.agent_name, attempt_count = live.n
      FROM live
     WHERE live.client_code = clients.code AND live.rank = 1`);
  log(`  statuses set in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  await local.close();
  renameSync(building, target);
  for (const suffix of ['-wal', '-shm']) rmSync(building + suffix, { force: true });
  log(`  built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

// Run directly (the bench spawns it); bundled into the bench, import.meta.url is the bundle's, hence the name test.
if (process.argv[1]?.endsWith('build-db.ts')) {
  const target = process.argv[2];
  if (!target) throw new Error('usage: build-db.ts <file>');
  await buildBenchDatabase(target, (line) => process.stderr.write(`${line}\n`));
}
