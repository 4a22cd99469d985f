// The console section of `npm run bench`: the supervision console's pages on PostgreSQL with
// 1,000,000 clients and 10,000,000 attempts (90 days, 50 agents, 100 devices, 1 % voided), through
// the real Fastify routes (app.inject, a signed-in supervisor's cookie): the journal's first page
// with each single filter and with agent + date range, a client's history, the dashboard for one
// day and for 30 days. The database is built once by SQL (generate_series) and kept between runs
// under a name that carries the sizes and the generator's version; drop it with DROP DATABASE to rebuild.
//
// Run alone: node test/bench/console.ts [--clients N] [--attempts N] [--n N]

import { parseArgs } from 'node:util';
import pg from 'pg';
import { buildApp } from '../../server/app.ts';
import { rebuildStreakCounts, recomputeAllClientStatuses } from '../../server/client-status.ts';
import { openSession, sessionCookie } from '../../server/console/sessions.ts';
import { hashPassword } from '../../server/console/passwords.ts';
import { openServerDatabase } from '../../server/storage/database.ts';
import { postgresAdminUrl, postgresUnavailableReason } from '../helpers/server.ts';
import { measure, type Measurement } from './measure.ts';
import type { BenchSection } from './sections.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);
const dataVersion = 3;
const days = 90;
const agents = 50;
const end = Date.parse('2026-11-30T18:00:00.000Z');

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresAdminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function exists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresAdminUrl });
  await client.connect();
  try {
    return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

async function fill(url: string, clients: number, attempts: number): Promise<void> {
  const sdb = await openServerDatabase(url, { poolSize: 1 });
  await sdb.close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const step = async (what: string, statement: string) => {
    const started = performance.now();
    await client.query(statement);
    log(`  ${what}: ${Math.round(performance.now() - started)} ms`);
  };
  try {
    await client.query(`SET synchronous_commit = off; SET maintenance_work_mem = '512MB'`);
    const start = new Date(end - days * 86_400_000).toISOString();
    await step('agents', `INSERT INTO agents (id, name, created_at)
      SELECT 'agent-' || lpad(i::text, 2, '0'), 'Agent ' || lpad(i::text, 2, '0'), '${start}' FROM generate_series(1, ${agents}) i`);
    await step('devices', `INSERT INTO device_agents (device_id, agent_id, first_seen, last_seen, attempts_pushed, voids_pushed)
      SELECT 'poste-' || lpad(i::text, 3, '0'), 'agent-' || lpad((1 + (i - 1) % ${agents})::text, 2, '0'), '${start}', '${new Date(end).toISOString()}', 0, 0 FROM generate_series(1, ${agents * 2}) i`);
    // Names from two lists, as the desk's demo does; phones unique per client.
    await step('clients', `INSERT INTO clients (code, name, phones, email, city, address, extra, created_at, updated_at, search_text)
      SELECT lpad(i::text, 10, '0'), n.name, '["+33 6 ' || lpad((i % 100000000)::text, 8, '0') || '"]', NULL, 'Ville', NULL, '{}', '${start}', '${start}',
             lower(n.name) || ' ' || lpad(i::text, 10, '0') || ' 336' || lpad((i % 100000000)::text, 8, '0') || ' 06' || lpad((i % 100000000)::text, 8, '0')
      FROM generate_series(1, ${clients}) i,
      LATERAL (SELECT (ARRAY['Martin','Bernard','Dubois','Thomas','Robert','Richard','Petit','Durand','Leroy','Moreau','Simon','Laurent','Lefebvre','Michel','Garcia','Diallo','Kone','Traore','Fournier','Rousseau'])[1 + i % 20]
        || ' ' || (ARRAY['Awa','Paul','Marie','Nadia','Yannick','Sophie','Karim','Lea','Hugo','Ines','Omar','Julie','Noemie','Sebastien','Aicha','Gaelle','Oceane','Louis','Emma','Jules','Chloe','Adam','Sarah'])[1 + (i / 20) % 23] AS name) n`);
    await step('drop indexes for the load', `DROP INDEX attempts_by_client_time; DROP INDEX attempts_by_time; DROP INDEX attempts_by_agent_time`);
    const span = days * 86_400_000;
    await step('attempts', `INSERT INTO attempts (id, client_code, agent_id, agent_name, occurred_at, utc_offset_min, status, channel, note, device_id, sent_agent_id, received_at)
      SELECT 'a' || lpad(i::text, 10, '0'), lpad((1 + (i::bigint * 7919) % ${clients})::text, 10, '0'), 'agent-' || lpad((1 + i % ${agents})::text, 2, '0'), 'Agent ' || lpad((1 + i % ${agents})::text, 2, '0'),
             t.at, 60, CASE WHEN (i::bigint * 2654435761) % 5 < 2 THEN 'success' ELSE 'failure' END,
             (ARRAY['phone','whatsapp','email','sms','visit'])[1 + (i / 7) % 5], CASE WHEN i % 10 = 0 THEN 'Rappeler demain' ELSE NULL END,
             'poste-' || lpad((1 + (i % ${agents}) + ${agents} * ((i / ${agents}) % 2))::text, 3, '0'), 'agent-' || lpad((1 + i % ${agents})::text, 2, '0'), t.at
      FROM generate_series(1, ${attempts}) i,
      LATERAL (SELECT to_char(to_timestamp((${end - span} + (i::bigint * ${span}) / ${attempts}) / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at) t`);
    await step('voids (1 %)', `INSERT INTO voids (attempt_id, agent_id, agent_name, voided_at, utc_offset_min, reason, kind, device_id, sent_agent_id, received_at)
      SELECT id, agent_id, agent_name, occurred_at, 60, 'Erreur de saisie', 'void', device_id, agent_id, received_at FROM attempts WHERE right(id, 2) = '00'`);
    await step('index attempts_by_client_time', `CREATE INDEX attempts_by_client_time ON attempts (client_code, occurred_at, id)`);
    await step('index attempts_by_time', `CREATE INDEX attempts_by_time ON attempts (occurred_at, id)`);
    await step('index attempts_by_agent_time', `CREATE INDEX attempts_by_agent_time ON attempts (agent_id, occurred_at, id)`);
    await step('analyze', 'VACUUM ANALYZE');
    const kept = performance.now();
    const sdbStatus = await openServerDatabase(url, { poolSize: 1, migrate: false });
    try {
      await recomputeAllClientStatuses(sdbStatus.db);
      await rebuildStreakCounts(sdbStatus.db);
    } finally {
      await sdbStatus.close();
    }
    log(`  client statuses: ${Math.round(performance.now() - kept)} ms`);
    await step('analyze again', 'VACUUM ANALYZE clients');
    await client.query(`CREATE TABLE bench_meta (built_at text)`);
    await client.query(`INSERT INTO bench_meta VALUES ($1)`, [new Date().toISOString()]);
  } finally {
    await client.end();
  }
}

async function benchDatabase(clients: number, attempts: number): Promise<string> {
  // Later migrations run on open, as on any server; the data itself changes with dataVersion.
  const name = `desk_bench_console_v${dataVersion}_${clients}c_${attempts}a`;
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  if (await exists(name)) {
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    const built = await client.query('SELECT 1 FROM bench_meta').then((r) => r.rowCount === 1, () => false);
    await client.end();
    if (built) return url.toString();
    await admin(`DROP DATABASE ${name} WITH (FORCE)`);
  }
  log(`Building the console benchmark database ${name} (${clients} clients, ${attempts} attempts)…`);
  await admin(`CREATE DATABASE ${name}`);
  try {
    await fill(url.toString(), clients, attempts);
  } catch (error) {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    throw error;
  }
  return url.toString();
}

export async function runConsoleBench(options: { clients: number; attempts: number; n: number }): Promise<Measurement[]> {
  const url = await benchDatabase(options.clients, options.attempts);
  const sdb = await openServerDatabase(url, { poolSize: 4 });
  const app = await buildApp(sdb, { console: { timeZone: 'Europe/Paris' } });
  try {
    const userId = 'bench-supervisor';
    await sdb.db
      .insertInto('console_users')
      .values({ id: userId, login: 'bench', role: 'supervisor', password_hash: await hashPassword('bench-password-1'), created_at: new Date().toISOString(), disabled_at: null })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    const cookie = await openSession(sdb.db, userId, new Date());
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const get = async (path: string) => {
      const answer = await app.inject({ method: 'GET', url: path, cookies: { [sessionCookie]: cookie } });
      if (answer.statusCode !== 200) throw new Error(`${path}: ${answer.statusCode} ${answer.body.slice(0, 300)}`);
      return answer;
    };
    const agent = () => `agent-${String(1 + Math.floor(random() * agents)).padStart(2, '0')}`;
    const day = () => new Date(end - Math.floor(random() * 80) * 86_400_000).toISOString().slice(0, 10);
    const fragments = ['martin awa', 'diallo', 'noemie', 'kone sarah', '0000123', '0612345'];
    const journal: [string, () => string][] = [
      ['none', () => ''],
      ['status', () => `status=${random() < 0.5 ? 'success' : 'failure'}`],
      ['channel', () => `channel=${['phone', 'whatsapp', 'email', 'sms', 'visit'][Math.floor(random() * 5)]}`],
      ['agent', () => `agent=${agent()}`],
      ['device', () => `device=poste-${String(1 + Math.floor(random() * agents * 2)).padStart(3, '0')}`],
      ['date', () => {
        const d = day();
        return `from=${d}&to=${d}`;
      }],
      ['client', () => `client=${encodeURIComponent(fragments[Math.floor(random() * fragments.length)]!)}`],
      ['voided_hidden', () => 'voided=hidden'],
      ['agent_date', () => {
        const d = day();
        return `agent=${agent()}&from=${d}&to=${new Date(Date.parse(d) + 6 * 86_400_000).toISOString().slice(0, 10)}`;
      }],
    ];
    const results: Measurement[] = [];
    for (const [name, query] of journal) {
      results.push(await measure(`console_journal_${name}`, options.n, () => get(`/console/journal?${query()}`), 5));
      log(`  ${JSON.stringify(results.at(-1))}`);
    }
    results.push(await measure('console_client_history', options.n, () => get(`/console/clients/${String(1 + Math.floor(random() * options.clients)).padStart(10, '0')}`), 5));
    log(`  ${JSON.stringify(results.at(-1))}`);
    results.push(await measure('console_dashboard_day', Math.max(3, Math.round(options.n / 10)), () => get(`/console/dashboard?from=${day()}`), 1));
    log(`  ${JSON.stringify(results.at(-1))}`);
    results.push(
      await measure('console_dashboard_30d', Math.max(3, Math.round(options.n / 20)), () => {
        const to = day();
        return get(`/console/dashboard?from=${new Date(Date.parse(to) - 29 * 86_400_000).toISOString().slice(0, 10)}&to=${to}`);
      }, 1),
    );
    log(`  ${JSON.stringify(results.at(-1))}`);
    return results;
  } finally {
    await app.close();
    await sdb.close();
  }
}

export const consoleSection: BenchSection = {
  name: 'console',
  outsideRss: true,
  description:
    'supervision console on PostgreSQL, 1,000,000 clients and 10,000,000 attempts, through the routes: journal first page per filter (target p99 ≤ 50 ms), a client history (≤ 20 ms), dashboard day (≤ 200 ms) and 30 days (≤ 1 s)',
  run: async (ctx) => {
    const reason = await postgresUnavailableReason();
    if (reason) {
      process.stderr.write(`console section skipped: ${reason}\n`);
      return [];
    }
    return runConsoleBench({ clients: 1_000_000, attempts: 10_000_000, n: Math.round(200 * ctx.scale) });
  },
};

if (process.argv[1]?.endsWith('console.ts')) {
  const { values } = parseArgs({ options: { clients: { type: 'string' }, attempts: { type: 'string' }, n: { type: 'string' } } });
  const reason = await postgresUnavailableReason();
  if (reason) {
    console.error(`console benchmark skipped: ${reason}`);
    process.exit(0);
  }
  const results = await runConsoleBench({ clients: Number(values.clients ?? 1_000_000), attempts: Number(values.attempts ?? 10_000_000), n: Number(values.n ?? 200) });
  for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
}
