// The server's benchmark base: a PostgreSQL database already holding 1,000,000 clients and
// 10,000,000 attempts (with voids, agents, tokens, desks (device_agents) and the change log), as a call center
// has after a year. Filled by SQL (INSERT … SELECT generate_series): through HTTP it would take
// hours. Built once and kept: its name carries a hash of the server's migrations, this generator's
// version and the sizes. A migration added since (by anyone) is run on the existing base, as it
// would run on a production database, and the base renamed; only another generator, other sizes
// or a migration list that is not an extension of the base's (an older checkout) rebuild it, and
// the old base is dropped to free the disk.
//
// How it is built, so that it is exactly the server's schema:
//   1. CREATE DATABASE <name>_building, run the server's own migrations on it (openServerDatabase);
//   2. drop its secondary indexes (those that back no constraint), remembering their definitions;
//   3. fill the tables in chunks, with session_replication_role = replica (no per-row foreign-key
//      trigger: the generator makes every reference valid by construction);
//   4. re-create the indexes (one sort each instead of 10,000,000 random inserts), VACUUM ANALYZE;
//   5. rename it to <name>: a half-built base is never reused, and a crashed build is dropped.
// One backend works at a time, with parallel maintenance workers off: the machine stays usable.
//
// Users of the base never write to it: copyServerBenchBase() gives a private copy (CREATE
// DATABASE … TEMPLATE, a file copy), and openServerBenchBase() a read-only connection for
// benchmarks that only read (the console's).
//   node test/bench/server-base.ts [--attempts 10000000] [--clients 1000000]   builds (or finds) it

import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openServerDatabase, type ServerDatabase } from '../../server/storage/database.ts';
import { serverMigrations } from '../../server/storage/migrations.ts';
import { postgresAdminUrl } from '../helpers/server.ts';

/** Bump when the generated data changes shape. */
const generatorVersion = 2;

export interface ServerBaseShape {
  attempts: number;
  clients: number;
  agents: number;
}

export const serverBaseShape: ServerBaseShape = { attempts: 10_000_000, clients: 1_000_000, agents: 400 };

export interface ServerBenchBase {
  /** Database name and URL of the cached base. Never write to it: copy it. */
  name: string;
  url: string;
  shape: ServerBaseShape;
  /** Seconds the build took in this call, or null when the cached base was reused. */
  builtSeconds: number | null;
  /** The change log's last seq: a device that has seen everything holds this cursor. */
  head: string;
}

/** Attempts cover the 365 days that end here (08:00–19:00 Paris), so the benchmark's new ones come after. */
const lastDay = Date.parse('2026-11-25T00:00:00.000Z');
const days = 365;
const firstDay = lastDay - (days - 1) * 86_400_000;

const tables = ['agents', 'tokens', 'device_agents', 'clients', 'attempts', 'voids', 'changes', 'counters'];

function urlOf(database: string): string {
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** desk_bench_10m_v<hash of the migrations' names, this generator, the sizes>. */
export async function serverBaseName(shape: ServerBaseShape = serverBaseShape): Promise<string> {
  const migrations = Object.keys(await serverMigrations.getMigrations()).sort();
  const hash = createHash('sha256')
    .update(JSON.stringify({ generatorVersion, shape, migrations }))
    .digest('hex')
    .slice(0, 12);
  const size = shape.attempts >= 1_000_000 ? `${Math.round(shape.attempts / 1_000_000)}m` : `${Math.round(shape.attempts / 1000)}k`;
  return `desk_bench_${size}_v${hash}`;
}

/**
 * SQL computing an attempt's fields from its number `i` (1-based, in time order), shared by the
 * attempts, their voids and their change rows so that all three agree without a join.
 */
function attemptFields(shape: ServerBaseShape): { from: string } {
  const perDay = Math.ceil(shape.attempts / days);
  const step = Math.floor((11 * 3_600_000) / perDay);
  // 08:00 Paris is 07:00Z in winter, 06:00Z in summer: one fixed 07:00Z is close enough.
  const ms = `(${firstDay} + ((i - 1) / ${perDay})::bigint * 86400000 + 25200000 + ((i - 1) % ${perDay}) * ${step})`;
  return {
    from: `
      CROSS JOIN LATERAL (SELECT lpad(to_hex(${ms}), 12, '0') AS h, md5(i::text) AS m, ('x' || substr(md5(i::text), 19, 7))::bit(28)::int AS r, ${ms} AS ms) AS t
      CROSS JOIN LATERAL (SELECT
        substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7' || substr(m, 1, 3) || '-' || substr('89ab', (i % 4)::int + 1, 1) || substr(m, 4, 3) || '-' || substr(m, 7, 12) AS id,
        to_char(to_timestamp(ms / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at,
        to_char(to_timestamp(ms / 1000.0 + (i % 900)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS received_at,
        CASE WHEN extract(month FROM to_timestamp(ms / 1000.0) AT TIME ZONE 'UTC') BETWEEN 4 AND 10 THEN 120 ELSE 60 END AS utc_offset_min,
        'CLI-' || lpad((1 + (i * 2654435761) % ${shape.clients})::text, 7, '0') AS client_code,
        1 + (r % ${shape.agents}) AS agent_n,
        r,
        ms
      ) AS a`,
  };
}

const firstNames = ['Awa', 'Marc', 'Gaëlle', 'Noémie', 'Sébastien', 'Aïcha', 'Yannick', 'Océane', 'Karim', 'Julie', 'Thomas', 'Fatou', 'Pierre', 'Léa', 'Mamadou', 'Camille', 'Hugo', 'Inès', 'Nicolas', 'Sarah'];
const lastNames = ['Diallo', 'Martin', 'Moreau', 'Fournier', 'Koné', 'Lefèvre', 'Dubois', 'Garcia', 'Bernard', 'Rousseau', 'Müller', 'Petit', 'Durand', 'Leroy', 'Traoré', 'Girard', 'Bonnet', 'Mercier', 'Faure', 'Blanc'];
const cities = ['Paris', 'Lyon', 'Marseille', 'Toulouse', 'Lille', 'Nantes', 'Bordeaux', 'Dakar', 'Abidjan', 'Strasbourg', 'Rennes', 'Montpellier'];
const streets = ['rue de la République', 'avenue Jean Jaurès', 'boulevard Voltaire', 'rue Victor Hugo', 'place du Marché', 'chemin des Vignes'];
const notes = ['Rappeler après 18 h', 'Messagerie pleine', 'Numéro erroné', 'Client absent, rappeler demain', 'A confirmé le rendez-vous', 'Souhaite être contacté par courriel'];
const voidReasons = ['Mauvais client sélectionné', 'Erreur de saisie', 'Doublon'];

const sqlArray = (values: string[]) => `ARRAY[${values.map((v) => `'${v.replaceAll("'", "''")}'`).join(', ')}]`;
/** values[1 + (expr mod n)] in SQL. */
const pick = (values: string[], expr: string) => `(${sqlArray(values)})[1 + ((${expr}) % ${values.length})::int]`;

async function timed(log: (line: string) => void, what: string, work: () => Promise<unknown>): Promise<void> {
  const start = performance.now();
  await work();
  log(`server base: ${what} in ${((performance.now() - start) / 1000).toFixed(1)} s`);
}

async function fill(client: pg.Client, shape: ServerBaseShape, log: (line: string) => void): Promise<void> {
  await client.query(`SET session_replication_role = replica`);
  await client.query(`SET synchronous_commit = off`);
  await client.query(`SET max_parallel_maintenance_workers = 0`);
  await client.query(`SET maintenance_work_mem = '256MB'`);

  const secondary = await client.query<{ name: string; def: string }>(
    `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = 'public' AND t.relname = ANY($1)
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)`,
    [tables],
  );
  for (const index of secondary.rows) await client.query(`DROP INDEX ${pg.escapeIdentifier(index.name)}`);

  const created = `'${new Date(firstDay - 30 * 86_400_000).toISOString()}'`;
  // Agents, each with a token (a hash of nothing anyone holds) and a desk; one in ten changed desk.
  await client.query(`
    CREATE TEMP TABLE bench_agents AS
    SELECT n,
           md5('agent' || n) AS hex,
           ${pick(firstNames, 'n * 7')} || ' ' || ${pick(lastNames, 'n * 13 + n / 20')} AS name
      FROM generate_series(1, ${shape.agents}) AS n`);
  const uuid = (hex: string) => `substr(${hex}, 1, 8) || '-' || substr(${hex}, 9, 4) || '-7' || substr(${hex}, 14, 3) || '-8' || substr(${hex}, 18, 3) || '-' || substr(${hex}, 21, 12)`;
  await client.query(`INSERT INTO agents (id, name, created_at) SELECT ${uuid('hex')}, name, ${created} FROM bench_agents`);
  await client.query(`
    INSERT INTO tokens (id, hash, prefix, agent_id, created_at, last_used_at, revoked_at)
    SELECT ${uuid("md5('token' || n)")}, encode(sha256(('bench' || n)::bytea), 'hex'), 'ndk_' || substr(md5('prefix' || n), 1, 8),
           ${uuid('hex')}, ${created}, '${new Date(lastDay).toISOString()}', NULL
      FROM bench_agents`);
  await client.query(`
    INSERT INTO device_agents (device_id, agent_id, first_seen, last_seen, attempts_pushed, voids_pushed)
    SELECT ${uuid("md5('device' || n)")}, ${uuid('hex')}, ${created}, '${new Date(lastDay + 19 * 3_600_000).toISOString()}', 0, 0 FROM bench_agents
    UNION ALL
    SELECT ${uuid("md5('old-device' || n)")}, ${uuid('hex')}, ${created}, ${created}, 0, 0 FROM bench_agents WHERE n % 10 = 0`);

  const chunkSize = 500_000;
  const inChunks = async (total: number, what: string, statement: (from: number, to: number) => string) => {
    const start = performance.now();
    for (let from = 1; from <= total; from += chunkSize) {
      const to = Math.min(total, from + chunkSize - 1);
      await client.query(statement(from, to));
      const seconds = (performance.now() - start) / 1000;
      log(`server base: ${what} ${to.toLocaleString('en')} / ${total.toLocaleString('en')} (${Math.round(to / seconds).toLocaleString('en')}/s)`);
    }
  };

  await inChunks(
    shape.clients,
    'clients',
    (from, to) => `
    INSERT INTO clients (code, name, phones, email, city, address, extra, created_at, updated_at)
    SELECT 'CLI-' || lpad(k::text, 7, '0'),
           CASE WHEN k % 8 = 0 THEN 'SARL ' ELSE '' END || ${pick(lastNames, 'k * 7 + k / 3')} || ' ' || ${pick(firstNames, 'k * 11 + k / 7')},
           '["+33 ' || (6 + k % 2) || ' ' || substr(lpad(((k * 2654435761) % 100000000)::text, 8, '0'), 1, 2) || ' ' || substr(lpad(((k * 2654435761) % 100000000)::text, 8, '0'), 3, 2) || ' '
             || substr(lpad(((k * 2654435761) % 100000000)::text, 8, '0'), 5, 2) || ' ' || substr(lpad(((k * 2654435761) % 100000000)::text, 8, '0'), 7, 2) || '"]',
           CASE WHEN k % 3 = 0 THEN 'client' || k || '@exemple.fr' END,
           ${pick(cities, 'k * 5 + k / 11')},
           (1 + k % 120) || ' ' || ${pick(streets, 'k / 3')},
           '{}', ${created}, ${created}
      FROM generate_series(${from}, ${to}) AS k`,
  );

  const fields = attemptFields(shape);
  await inChunks(
    shape.attempts,
    'attempts',
    (from, to) => `
    INSERT INTO attempts (id, client_code, agent_id, agent_name, occurred_at, utc_offset_min, status, channel, note, device_id, sent_agent_id, received_at)
    SELECT a.id, a.client_code, ${uuid('g.hex')}, g.name, a.occurred_at, a.utc_offset_min,
           CASE WHEN (a.r / 7) % 3 = 0 THEN 'failure' ELSE 'success' END,
           CASE WHEN (a.r / 401) % 100 < 70 THEN 'phone' WHEN (a.r / 401) % 100 < 80 THEN 'whatsapp' WHEN (a.r / 401) % 100 < 90 THEN 'sms'
                WHEN (a.r / 401) % 100 < 98 THEN 'email' ELSE 'visit' END,
           CASE WHEN (a.r / 40111) % 10 = 0 THEN ${pick(notes, 'a.r / 13')} END,
           ${uuid("md5('device' || g.n)")}, ${uuid('g.hex')}, a.received_at
      FROM generate_series(${from}, ${to}) AS i ${fields.from}
      JOIN bench_agents g ON g.n = a.agent_n`,
  );

  // One attempt in a hundred is taken back: three undos (seconds later) for one void (hours later).
  const voidSql = (from: number, to: number) => `
    INSERT INTO voids (attempt_id, agent_id, agent_name, voided_at, utc_offset_min, reason, kind, device_id, sent_agent_id, received_at)
    SELECT a.id, ${uuid('g.hex')}, g.name,
           to_char(to_timestamp(a.ms / 1000.0 + CASE WHEN (i / 100) % 4 = 0 THEN 7200 ELSE 8 END) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           a.utc_offset_min,
           CASE WHEN (i / 100) % 4 = 0 THEN ${pick(voidReasons, 'i / 400')} ELSE 'Annulé aussitôt' END,
           CASE WHEN (i / 100) % 4 = 0 THEN 'void' ELSE 'undo' END,
           ${uuid("md5('device' || g.n)")}, ${uuid('g.hex')},
           to_char(to_timestamp(a.ms / 1000.0 + 7200 + (i % 900)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      FROM generate_series(${Math.ceil(from / 100) * 100}, ${to}, 100) AS i ${fields.from}
      JOIN bench_agents g ON g.n = a.agent_n`;
  await inChunks(shape.attempts, 'voids (of attempts)', voidSql);

  // The change log: every client once (an import), then each attempt, its void right after it.
  await inChunks(
    shape.clients,
    'changes (clients)',
    (from, to) => `INSERT INTO changes (seq, kind, ref) SELECT k, 'client', 'CLI-' || lpad(k::text, 7, '0') FROM generate_series(${from}, ${to}) AS k`,
  );
  await inChunks(
    shape.attempts,
    'changes (attempts and voids)',
    (from, to) => `
    INSERT INTO changes (seq, kind, ref)
    SELECT ${shape.clients} + i + (i - 1) / 100 + v.after, v.kind, a.id
      FROM generate_series(${from}, ${to}) AS i ${fields.from}
      CROSS JOIN LATERAL (VALUES (0, 'attempt'), (1, 'void')) AS v(after, kind)
     WHERE v.after = 0 OR i % 100 = 0
     ORDER BY 1`,
  );
  const voids = Math.floor(shape.attempts / 100);
  await client.query(`UPDATE counters SET value = ${shape.clients + shape.attempts + voids} WHERE name = 'changes'`);
  await timed(log, 'device counters', () =>
    client.query(`
      UPDATE device_agents d SET attempts_pushed = s.attempts, voids_pushed = s.voids
        FROM (SELECT a.device_id, a.agent_id, count(*) AS attempts, count(v.attempt_id) AS voids
                FROM attempts a LEFT JOIN voids v ON v.attempt_id = a.id GROUP BY a.device_id, a.agent_id) AS s
       WHERE d.device_id = s.device_id AND d.agent_id = s.agent_id`),
  );
  for (const index of secondary.rows) await timed(log, `index ${index.name}`, () => client.query(index.def));
  await client.query(`RESET session_replication_role`);
  for (const table of tables) await timed(log, `VACUUM ANALYZE ${table}`, () => client.query(`VACUUM (ANALYZE) ${table}`));
}

async function headOf(url: string): Promise<string> {
  return withClient(url, async (client) => (await client.query<{ value: string }>(`SELECT value::text FROM counters WHERE name = 'changes'`)).rows[0]!.value);
}

/** What a base says of itself (COMMENT ON DATABASE): which generator and sizes filled it. */
function baseLabel(shape: ServerBaseShape): string {
  return JSON.stringify({ generatorVersion, shape });
}

async function appliedMigrations(url: string): Promise<string[] | null> {
  return withClient(url, async (client) => {
    const table = await client.query(`SELECT to_regclass('kysely_migration') IS NOT NULL AS present`);
    if (!table.rows[0]?.present) return null;
    return (await client.query<{ name: string }>(`SELECT name FROM kysely_migration ORDER BY name`)).rows.map((r) => r.name);
  });
}

/**
 * The cached base, built first when it is missing (minutes: the build is timed and logged). When
 * only newer migrations are missing (another engineer added one), they are run on the existing
 * base instead, as they would run on a production database: seconds, not a rebuild. Two callers at
 * once: an advisory lock makes the second wait and then reuse the first one's base.
 */
export async function ensureServerBenchBase(
  options: { shape?: ServerBaseShape; log?: (line: string) => void } = {},
): Promise<ServerBenchBase> {
  const shape = options.shape ?? serverBaseShape;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const name = await serverBaseName(shape);
  const prefix = name.replace(/_v[0-9a-f]+$/, '_v');
  const current = Object.keys(await serverMigrations.getMigrations()).sort();
  const exists = (admin: pg.Client, database: string) =>
    admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [database]).then((r) => (r.rowCount ?? 0) > 0);
  const builtSeconds = await withClient(postgresAdminUrl, async (admin) => {
    await admin.query(`SELECT pg_advisory_lock(hashtext($1))`, [prefix]);
    try {
      if (await exists(admin, name)) return null;
      const building = `${name}_building`;
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(building)} WITH (FORCE)`);
      const start = performance.now();
      const others = await admin.query<{ datname: string; label: string | null }>(
        `SELECT datname, shobj_description(oid, 'pg_database') AS label FROM pg_database WHERE datname LIKE $1 AND datname NOT LIKE '%\\_building' ORDER BY datname`,
        [`${prefix}%`],
      );
      for (const other of others.rows) {
        if (other.label !== baseLabel(shape)) continue;
        const applied = await appliedMigrations(urlOf(other.datname));
        if (!applied || applied.some((m, i) => current[i] !== m)) continue;
        log(`server base: ${other.datname} lacks ${current.length - applied.length} migration(s): running them on it…`);
        await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(other.datname)} RENAME TO ${pg.escapeIdentifier(building)}`);
        try {
          const sdb = await openServerDatabase(urlOf(building), { poolSize: 1 });
          await sdb.close();
          await withClient(urlOf(building), (client) => client.query(`VACUUM (ANALYZE)`));
          await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(building)} RENAME TO ${pg.escapeIdentifier(name)}`);
          const seconds = (performance.now() - start) / 1000;
          log(`server base: ${name} migrated in ${seconds.toFixed(1)} s`);
          return seconds;
        } catch (error) {
          log(`server base: migrating the old base failed (${String(error)}): building a new one`);
          await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(building)} WITH (FORCE)`);
          break;
        }
      }
      // Bases of another generator or sizes, or of migrations this checkout does not have, only take
      // disk space; a newer checkout's base (its migrations extend this list) is left to it.
      for (const other of others.rows) {
        const applied = await appliedMigrations(urlOf(other.datname)).catch(() => null);
        const newer = other.label === baseLabel(shape) && applied !== null && applied.length > current.length && current.every((m, i) => applied[i] === m);
        if (!newer) await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(other.datname)} WITH (FORCE)`);
      }
      log(`server base: building ${name} (${shape.clients.toLocaleString('en')} clients, ${shape.attempts.toLocaleString('en')} attempts)…`);
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(building)}`);
      try {
        const sdb = await openServerDatabase(urlOf(building), { poolSize: 1 });
        await sdb.close();
        await withClient(urlOf(building), (client) => fill(client, shape, log));
        await admin.query(`COMMENT ON DATABASE ${pg.escapeIdentifier(building)} IS ${pg.escapeLiteral(baseLabel(shape))}`);
        await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(building)} RENAME TO ${pg.escapeIdentifier(name)}`);
      } catch (error) {
        await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(building)} WITH (FORCE)`).catch(() => undefined);
        throw error;
      }
      const seconds = (performance.now() - start) / 1000;
      log(`server base: ${name} built in ${seconds.toFixed(0)} s`);
      return seconds;
    } finally {
      await admin.query(`SELECT pg_advisory_unlock(hashtext($1))`, [prefix]);
    }
  });
  const url = urlOf(name);
  return { name, url, shape, builtSeconds, head: await headOf(url) };
}

export interface ServerBaseCopy {
  url: string;
  /** Seconds the copy took. */
  seconds: number;
  drop(): Promise<void>;
}

/**
 * A private copy of the base to write to (CREATE DATABASE … TEMPLATE, a file copy: about as fast
 * as the disk). The base must have no open connection meanwhile (PostgreSQL's rule for templates).
 */
export async function copyServerBenchBase(base: ServerBenchBase): Promise<ServerBaseCopy> {
  const name = `desk_test_${randomBytes(6).toString('hex')}`;
  const start = performance.now();
  await withClient(postgresAdminUrl, (admin) => admin.query(`CREATE DATABASE ${name} TEMPLATE ${base.name} STRATEGY FILE_COPY`));
  return {
    url: urlOf(name),
    seconds: (performance.now() - start) / 1000,
    drop: () => withClient(postgresAdminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/**
 * A ready connection to the cached base (built first if needed), for benchmarks that only read it,
 * such as the console's: its transactions are read-only (default_transaction_read_only), so a
 * mistake cannot change the base that every later run reuses. Close it before copying the base.
 */
export async function openServerBenchBase(
  options: { shape?: ServerBaseShape; poolSize?: number; log?: (line: string) => void } = {},
): Promise<{ base: ServerBenchBase; sdb: ServerDatabase }> {
  const base = await ensureServerBenchBase(options);
  const url = new URL(base.url);
  url.searchParams.set('options', '-c default_transaction_read_only=on');
  const sdb = await openServerDatabase(url.toString(), { poolSize: options.poolSize ?? 4, migrate: false });
  return { base, sdb };
}

if (process.argv[1]?.endsWith('server-base.ts')) {
  const { values } = parseArgs({ options: { attempts: { type: 'string' }, clients: { type: 'string' } } });
  const attempts = Number(values.attempts ?? serverBaseShape.attempts);
  const clients = Number(values.clients ?? serverBaseShape.clients);
  const base = await ensureServerBenchBase({ shape: { ...serverBaseShape, attempts, clients } });
  process.stdout.write(`${JSON.stringify({ name: base.name, built_s: base.builtSeconds === null ? null : Math.round(base.builtSeconds), head: base.head })}\n`);
}
