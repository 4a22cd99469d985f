// The server's migrations, imported (never read from a folder) and written with Kysely's schema
// builder in the types both SQLite and PostgreSQL understand, so one list serves both.
// Append new ones; never edit one that has shipped.

import { randomUUID } from 'node:crypto';
import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely/migration';
import { attemptStatuses, consoleAuditActions, consoleRoles, sqlList } from '../../contract/enums.ts';
import { rebuildAttemptTallies } from '../attempt-tallies.ts';
import { rebuildStreakCounts, recomputeAllClientStatuses } from '../client-status.ts';
import { clientSearchText } from '../console/search-text.ts';
import { appendChanges } from './changes.ts';

const m0001: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('agents')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('hash', 'text', (c) => c.notNull().unique())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('agent_id', 'text', (c) => c.notNull().references('agents.id'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('last_used_at', 'text')
      .addColumn('revoked_at', 'text')
      .execute();
    await db.schema.createIndex('tokens_by_prefix').on('tokens').columns(['prefix']).execute();
    await db.schema.createIndex('tokens_by_agent').on('tokens').columns(['agent_id']).execute();

    await db.schema
      .createTable('devices')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('agent_id', 'text', (c) => c.notNull().references('agents.id'))
      .addColumn('first_seen', 'text', (c) => c.notNull())
      .addColumn('last_seen', 'text', (c) => c.notNull())
      .addColumn('attempts_pushed', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('voids_pushed', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();

    await db.schema
      .createTable('clients')
      .addColumn('code', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('phones', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('email', 'text')
      .addColumn('city', 'text')
      .addColumn('address', 'text')
      .addColumn('extra', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('attempts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('client_code', 'text', (c) => c.notNull().references('clients.code'))
      .addColumn('agent_id', 'text', (c) => c.notNull().references('agents.id'))
      .addColumn('agent_name', 'text', (c) => c.notNull())
      .addColumn('occurred_at', 'text', (c) => c.notNull())
      .addColumn('utc_offset_min', 'integer', (c) => c.notNull().check(sql`utc_offset_min BETWEEN -840 AND 840`))
      .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN ('success', 'failure')`))
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('note', 'text')
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('sent_agent_id', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('attempts_by_client').on('attempts').columns(['client_code', 'occurred_at']).execute();
    await db.schema.createIndex('attempts_by_agent').on('attempts').columns(['agent_id', 'occurred_at']).execute();

    await db.schema
      .createTable('voids')
      .addColumn('attempt_id', 'text', (c) => c.primaryKey())
      .addColumn('agent_id', 'text', (c) => c.notNull().references('agents.id'))
      .addColumn('agent_name', 'text', (c) => c.notNull())
      .addColumn('voided_at', 'text', (c) => c.notNull())
      .addColumn('utc_offset_min', 'integer', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('undo', 'void')`))
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('sent_agent_id', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('changes')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('client', 'attempt', 'void')`))
      .addColumn('ref', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('changes_by_ref').on('changes').columns(['kind', 'ref']).execute();

    await db.schema
      .createTable('counters')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'bigint', (c) => c.notNull())
      .execute();
    await db.insertInto('counters').values({ name: 'changes', value: 0 }).execute();
  },
};

// The audit trail is append-only in the database itself, as on the devices: no code path of the
// server updates or deletes an attempt or a void, and neither may anyone else (a stray admin
// query, a future bug). Triggers are each dialect's own, so this one migration speaks both.
const m0002: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    const message = 'attempts and voids are history: they are never updated nor deleted';
    if (db.getExecutor().adapter instanceof PostgresAdapter) {
      await sql
        .raw(
          `CREATE FUNCTION desk_history_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION '${message}'; END $$`,
        )
        .execute(db);
      for (const table of ['attempts', 'voids']) {
        await sql
          .raw(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION desk_history_is_append_only()`)
          .execute(db);
      }
      return;
    }
    for (const table of ['attempts', 'voids']) {
      for (const event of ['UPDATE', 'DELETE']) {
        await sql
          .raw(`CREATE TRIGGER ${table}_append_only_${event.toLowerCase()} BEFORE ${event} ON ${table} BEGIN SELECT RAISE(ABORT, '${message}'); END`)
          .execute(db);
      }
    }
  },
};

// Every pushed attempt paid for two indexes nothing reads: attempts by agent, and the change log
// by reference for attempts and voids (only a client's earlier entries are ever looked up, to
// supersede them). PostgreSQL was the busiest process of a push (about one core of two).
const m0003: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.dropIndex('attempts_by_agent').execute();
    await db.schema.dropIndex('changes_by_ref').execute();
    await db.schema.createIndex('changes_by_client').on('changes').column('ref').where(sql.ref('kind'), '=', sql.lit('client')).execute();
  },
};

// Each server database gets an identity of its own, made once. A restore from a backup keeps it
// but rolls the change log back; a new or rebuilt server has another one. Devices compare it on
// every answer (docs/sync-protocol.md, "Server epoch"); a restore is noticed by the cursor instead.
const m0004: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('server_identity')
      .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
      .addColumn('epoch', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db
      .insertInto('server_identity')
      .values({ id: 1, epoch: randomUUID(), created_at: new Date().toISOString() })
      .execute();
    // What each desk last said of itself (feature 'push.deviceReport'): kept apart from the devices
    // table, which the server fills from what it sees, not from what a desk claims.
    await db.schema
      .createTable('device_reports')
      .addColumn('device_id', 'text', (c) => c.primaryKey())
      .addColumn('app_version', 'text', (c) => c.notNull())
      .addColumn('outbox_pending', 'integer', (c) => c.notNull())
      .addColumn('dead_letters', 'integer', (c) => c.notNull())
      .addColumn('dead_letter_reasons', 'text', (c) => c.notNull())
      .addColumn('reported_at', 'text', (c) => c.notNull())
      .execute();
  },
};

// A device row named one agent, re-attributed to whichever agent pushed last with that device id.
// Each (device, agent) pair now has its own row and counts. The former rows move over as they were
// (their counts were the device's, all agents together, now under its last agent).
const m0005: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('device_agents')
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('agent_id', 'text', (c) => c.notNull().references('agents.id'))
      .addColumn('first_seen', 'text', (c) => c.notNull())
      .addColumn('last_seen', 'text', (c) => c.notNull())
      .addColumn('attempts_pushed', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('voids_pushed', 'bigint', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('device_agents_pk', ['device_id', 'agent_id'])
      .execute();
    await sql`INSERT INTO device_agents (device_id, agent_id, first_seen, last_seen, attempts_pushed, voids_pushed)
              SELECT id, agent_id, first_seen, last_seen, attempts_pushed, voids_pushed FROM devices`.execute(db);
    await db.schema.dropTable('devices').execute();
  },
};

// Rate-limit counters that several instances share (PostgreSQL deployments; see server/rate-store.ts).
// Fixed windows: a key's count and when its window ends (epoch milliseconds).
const m0006: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('rate_counters')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('count', 'bigint', (c) => c.notNull())
      .addColumn('window_ends_ms', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('rate_counters_by_end').on('rate_counters').column('window_ends_ms').execute();
  },
};

// On PostgreSQL a foreign key check locks the row it points to (FOR KEY SHARE), and that lock is a
// write to the row's page: every pushed attempt wrote to its client's page, and after each
// checkpoint the first write to a page puts the whole 8 KB page in the WAL. On the benchmark's base
// of 1,000,000 clients that was a third of a push's WAL (4 of 12 MB per 500 attempts spread over
// the clients). The reference still holds without the check: clients are never deleted nor
// renamed (the triggers below refuse it, on both databases, as history's own triggers do), and a
// push inserts only attempts whose client it has read in its own transaction. SQLite's check
// writes nothing and it cannot drop a constraint without rebuilding the table: it keeps its key.
const m0007: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    const message = 'clients are referenced by history: they are never deleted nor renamed';
    if (db.getExecutor().adapter instanceof PostgresAdapter) {
      await sql
        .raw(
          `DO $$ DECLARE fk text; BEGIN
             SELECT conname INTO fk FROM pg_constraint
              WHERE conrelid = 'attempts'::regclass AND confrelid = 'clients'::regclass AND contype = 'f';
             IF fk IS NOT NULL THEN EXECUTE format('ALTER TABLE attempts DROP CONSTRAINT %I', fk); END IF;
           END $$`,
        )
        .execute(db);
      await sql
        .raw(`CREATE FUNCTION desk_clients_are_kept() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '${message}'; END $$`)
        .execute(db);
      await sql.raw(`CREATE TRIGGER clients_kept_delete BEFORE DELETE ON clients FOR EACH ROW EXECUTE FUNCTION desk_clients_are_kept()`).execute(db);
      await sql
        .raw(`CREATE TRIGGER clients_kept_code BEFORE UPDATE ON clients FOR EACH ROW WHEN (OLD.code IS DISTINCT FROM NEW.code) EXECUTE FUNCTION desk_clients_are_kept()`)
        .execute(db);
      return;
    }
    await sql.raw(`CREATE TRIGGER clients_kept_delete BEFORE DELETE ON clients BEGIN SELECT RAISE(ABORT, '${message}'); END`).execute(db);
    await sql
      .raw(`CREATE TRIGGER clients_kept_code BEFORE UPDATE OF code ON clients WHEN OLD.code IS NOT NEW.code BEGIN SELECT RAISE(ABORT, '${message}'); END`)
      .execute(db);
  },
};

// The supervision console (server/console/): its people, their sessions, the sign-in throttle, its own
// append-only audit log, and the enrolment codes a desk exchanges for a token (POST /v1/enrol).
// Agents can be disabled (their tokens are revoked with them). The journal walks attempts newest
// first, all of them or one agent's: two indexes that keyset paging needs at millions of rows.
// Clients gain their folded search text, so the journal's client filter ignores accents and case,
// and their synthetic status, kept in each push's transaction (server/client-status.ts).
const m0008: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema
      .createTable('console_users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('login', 'text', (c) => c.notNull().unique())
      .addColumn('role', 'text', (c) => c.notNull().check(sql.raw(`role IN (${sqlList(consoleRoles)})`)))
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('disabled_at', 'text')
      .execute();

    await db.schema
      .createTable('console_sessions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('console_users.id'))
      .addColumn('csrf', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('last_seen_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('console_sessions_by_user').on('console_sessions').column('user_id').execute();

    await db.schema
      .createTable('console_throttle')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .addColumn('window_start', 'text', (c) => c.notNull())
      .addColumn('blocked_until', 'text')
      .execute();

    await db.schema
      .createTable('console_audit')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('user_login', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull().check(sql.raw(`action IN (${sqlList(consoleAuditActions)})`)))
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}'))
      .execute();
    const message = 'the console audit log is append-only';
    if (postgres) {
      await sql.raw(`CREATE FUNCTION console_audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '${message}'; END $$`).execute(db);
      await sql.raw('CREATE TRIGGER console_audit_append_only BEFORE UPDATE OR DELETE ON console_audit FOR EACH ROW EXECUTE FUNCTION console_audit_is_append_only()').execute(db);
    } else {
      for (const event of ['UPDATE', 'DELETE']) {
        await sql.raw(`CREATE TRIGGER console_audit_append_only_${event.toLowerCase()} BEFORE ${event} ON console_audit BEGIN SELECT RAISE(ABORT, '${message}'); END`).execute(db);
      }
    }

    await db.schema
      .createTable('enrolment_codes')
      .addColumn('code_hash', 'text', (c) => c.primaryKey())
      .addColumn('agent_id', 'text', (c) => c.notNull().references('agents.id'))
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('used_at', 'text')
      .addColumn('token_id', 'text')
      .execute();

    await db.schema.alterTable('agents').addColumn('disabled_at', 'text').execute();

    await db.schema.createIndex('attempts_by_time').on('attempts').columns(['occurred_at', 'id']).execute();
    await db.schema.createIndex('attempts_by_agent_time').on('attempts').columns(['agent_id', 'occurred_at', 'id']).execute();

    await db.schema.alterTable('clients').addColumn('search_text', 'text', (c) => c.notNull().defaultTo('')).execute();
    // The synthetic status as the desks keep it (same column names: db/status.ts serves both).
    await db.schema.alterTable('clients').addColumn('last_status', 'text', (c) => c.check(sql.raw(`last_status IN (${sqlList(attemptStatuses)})`))).execute();
    for (const column of ['last_attempt_at', 'last_attempt_id', 'last_agent_id', 'last_agent_name']) {
      await db.schema.alterTable('clients').addColumn(column, 'text').execute();
    }
    await db.schema.alterTable('clients').addColumn('attempt_count', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('clients').addColumn('failure_streak', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await recomputeAllClientStatuses(db);
    await db.schema.createIndex('clients_never_notified').on('clients').column('code').where(sql.ref('last_status'), 'is', null).execute();
    await db.schema.createIndex('clients_by_failure_streak').on('clients').columns(['failure_streak', 'code']).where(sql.ref('failure_streak'), '>', sql.lit(0)).execute();

    // Existing clients get their search text in pages by code (a server may already hold many).
    let after = '';
    for (;;) {
      const page = await db.selectFrom('clients').select(['code', 'name', 'phones']).where('code', '>', after).orderBy('code').limit(1000).execute();
      if (page.length === 0) break;
      for (const row of page) {
        await db.updateTable('clients').set({ search_text: clientSearchText(row.code, row.name, JSON.parse(row.phones) as string[]) }).where('code', '=', row.code).execute();
      }
      after = page[page.length - 1]!.code;
    }
    // On PostgreSQL, a trigram index lets "contains" find clients among millions without a scan,
    // where the database allows it (pg_trgm is a trusted extension: a database owner may add it).
    if (postgres) {
      const allowed = await sql<{ ok: boolean }>`
        SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm')
          AND (EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') OR has_database_privilege(current_database(), 'CREATE')) AS ok`.execute(db);
      if (allowed.rows[0]?.ok) {
        await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
        await sql`CREATE INDEX clients_search_trigrams ON clients USING gin (search_text gin_trgm_ops)`.execute(db);
      }
    }
  },
};

// Why an attempt ended (feature 'attempt.reason'): its own append-only record, one per attempt, so
// the attempt row itself never changes (migration 0002). Pulls join it onto the attempt they send.
// No foreign key to attempts, for the reason of 0007: attempts are never deleted (0002), and a push
// stores a reason only for an attempt it has read in its own transaction.
const m0009: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('attempt_reasons')
      .addColumn('attempt_id', 'text', (c) => c.primaryKey())
      .addColumn('code', 'text', (c) => c.notNull())
      .addColumn('agent_id', 'text', (c) => c.notNull().references('agents.id'))
      .addColumn('agent_name', 'text', (c) => c.notNull())
      .addColumn('chosen_at', 'text', (c) => c.notNull())
      .addColumn('utc_offset_min', 'integer', (c) => c.notNull())
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('sent_agent_id', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .execute();
  },
};

// Call-backs (feature 'record.callback'): each event (scheduled, done, cancelled) is its own
// append-only row; pulls send them, as 'callback' changes, only to devices that name the kind.
// No foreign key to clients (see 0007): a push stores an event only for a client it has read.
const m0010: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('callback_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('callback_id', 'text', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('client_code', 'text', (c) => c.notNull())
      .addColumn('due_at', 'text')
      .addColumn('for_agent_id', 'text')
      .addColumn('attempt_id', 'text')
      .addColumn('agent_id', 'text', (c) => c.notNull().references('agents.id'))
      .addColumn('agent_name', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('utc_offset_min', 'integer', (c) => c.notNull())
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('sent_agent_id', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('callback_events_by_callback').on('callback_events').column('callback_id').execute();
    // The change log's CHECK (0001) knew three kinds. PostgreSQL changes the constraint in place;
    // SQLite cannot, so its table is rebuilt, rows and partial index with it (the kinds are written
    // out: a shipped migration must not follow later changes of contract/enums.ts).
    const kinds = sql`kind IN ('client', 'attempt', 'void', 'callback')`;
    if (db.getExecutor().adapter instanceof PostgresAdapter) {
      await sql`ALTER TABLE changes DROP CONSTRAINT IF EXISTS changes_kind_check`.execute(db);
      await sql`ALTER TABLE changes ADD CONSTRAINT changes_kind_check CHECK (${kinds})`.execute(db);
    } else {
      await db.schema
        .createTable('changes_next')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull().check(kinds))
        .addColumn('ref', 'text', (c) => c.notNull())
        .execute();
      await sql`INSERT INTO changes_next (seq, kind, ref) SELECT seq, kind, ref FROM changes`.execute(db);
      await db.schema.dropTable('changes').execute();
      await sql`ALTER TABLE changes_next RENAME TO changes`.execute(db);
      await db.schema.createIndex('changes_by_client').on('changes').column('ref').where(sql.ref('kind'), '=', sql.lit('client')).execute();
    }
  },
};

// Issue 9: desks enrolled with a device credential, agents signing in on them.
// - agents get a login (unique once set, normalised by contract/sign-in.ts), a secret hash and its
//   date, and updated_at: the time of the state pulled as 'agentState';
// - tokens get a kind ('agent' | 'device') and the device they are bound to: a device token has no
//   agent, so agent_id loses its NOT NULL (PostgreSQL in place; SQLite rebuilds the table);
// - device enrolment codes have no agent either: their own table;
// - agent_events: who signed in, out, locked, unlocked or failed, from desks and from the server,
//   append-only like the console's audit;
// - the change log and the console audit learn their new values (the lists are written out: a
//   shipped migration must not follow later changes of contract/enums.ts);
// - every existing agent is logged once as 'agentState', so desks learn them on their next read.
const m0011: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema.alterTable('agents').addColumn('login', 'text').execute();
    await db.schema.alterTable('agents').addColumn('secret_hash', 'text').execute();
    await db.schema.alterTable('agents').addColumn('secret_set_at', 'text').execute();
    await db.schema.alterTable('agents').addColumn('updated_at', 'text').execute();
    await db.schema.createIndex('agents_by_login').on('agents').column('login').unique().execute();

    const tokenKind = sql`kind IN ('agent', 'device')`;
    const tokenShape = sql`(kind = 'device') = (agent_id IS NULL) AND (kind = 'agent' OR device_id IS NOT NULL)`;
    if (postgres) {
      await sql`ALTER TABLE tokens ALTER COLUMN agent_id DROP NOT NULL`.execute(db);
      await sql`ALTER TABLE tokens ADD COLUMN kind text NOT NULL DEFAULT 'agent' CHECK (${tokenKind})`.execute(db);
      await sql`ALTER TABLE tokens ADD COLUMN device_id text`.execute(db);
      await sql`ALTER TABLE tokens ADD CONSTRAINT tokens_shape_check CHECK (${tokenShape})`.execute(db);
    } else {
      await db.schema
        .createTable('tokens_next')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('agent_id', 'text', (c) => c.references('agents.id'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .addColumn('kind', 'text', (c) => c.notNull().defaultTo('agent').check(tokenKind))
        .addColumn('device_id', 'text')
        .addCheckConstraint('tokens_shape_check', tokenShape)
        .execute();
      await sql`INSERT INTO tokens_next (id, hash, prefix, agent_id, created_at, last_used_at, revoked_at) SELECT id, hash, prefix, agent_id, created_at, last_used_at, revoked_at FROM tokens`.execute(db);
      await db.schema.dropTable('tokens').execute();
      await sql`ALTER TABLE tokens_next RENAME TO tokens`.execute(db);
      await db.schema.createIndex('tokens_by_prefix').on('tokens').columns(['prefix']).execute();
      await db.schema.createIndex('tokens_by_agent').on('tokens').columns(['agent_id']).execute();
    }
    await db.schema.createIndex('tokens_by_device').on('tokens').columns(['device_id', 'agent_id']).execute();

    await db.schema
      .createTable('device_enrolment_codes')
      .addColumn('code_hash', 'text', (c) => c.primaryKey())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('used_at', 'text')
      .addColumn('token_id', 'text')
      .addColumn('device_id', 'text')
      .execute();

    await db.schema
      .createTable('agent_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull().check(sql`source IN ('desk', 'server')`))
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('signIn', 'signOut', 'lock', 'unlock', 'signInFailed')`))
      .addColumn('agent_id', 'text')
      .addColumn('login', 'text')
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('offline', 'integer', (c) => c.notNull().check(sql`offline IN (0, 1)`))
      // Server rows: why a sign-in failed ('invalid', 'disabled', 'throttled'); desk rows: null.
      .addColumn('detail', 'text')
      .addColumn('address', 'text')
      .addColumn('token_id', 'text')
      .execute();
    await db.schema.createIndex('agent_events_by_device').on('agent_events').columns(['device_id', 'at', 'id']).execute();
    await db.schema.createIndex('agent_events_by_agent').on('agent_events').columns(['agent_id', 'at', 'id']).execute();
    const appendOnly = 'agent events are append-only';
    if (postgres) {
      await sql.raw(`CREATE FUNCTION agent_events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '${appendOnly}'; END $$`).execute(db);
      await sql.raw('CREATE TRIGGER agent_events_append_only BEFORE UPDATE OR DELETE ON agent_events FOR EACH ROW EXECUTE FUNCTION agent_events_are_append_only()').execute(db);
    } else {
      for (const event of ['UPDATE', 'DELETE']) {
        await sql.raw(`CREATE TRIGGER agent_events_append_only_${event.toLowerCase()} BEFORE ${event} ON agent_events BEGIN SELECT RAISE(ABORT, '${appendOnly}'); END`).execute(db);
      }
    }

    const kinds = sql`kind IN ('client', 'attempt', 'void', 'callback', 'agentState')`;
    const actions = sql.raw(
      `action IN ('user.create', 'user.disable', 'agent.create', 'agent.disable', 'agent.enable', 'agent.setSecret', 'token.revoke', 'enrolment.issue', 'enrolment.use', 'device.enrolmentIssue', 'device.enrolmentUse')`,
    );
    if (postgres) {
      await sql`ALTER TABLE changes DROP CONSTRAINT IF EXISTS changes_kind_check`.execute(db);
      await sql`ALTER TABLE changes ADD CONSTRAINT changes_kind_check CHECK (${kinds})`.execute(db);
      await sql`ALTER TABLE console_audit DROP CONSTRAINT IF EXISTS console_audit_action_check`.execute(db);
      await sql`ALTER TABLE console_audit ADD CONSTRAINT console_audit_action_check CHECK (${actions})`.execute(db);
    } else {
      await db.schema
        .createTable('changes_next')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull().check(kinds))
        .addColumn('ref', 'text', (c) => c.notNull())
        .execute();
      await sql`INSERT INTO changes_next (seq, kind, ref) SELECT seq, kind, ref FROM changes`.execute(db);
      await db.schema.dropTable('changes').execute();
      await sql`ALTER TABLE changes_next RENAME TO changes`.execute(db);
      await db.schema.createIndex('changes_by_client').on('changes').column('ref').where(sql.ref('kind'), '=', sql.lit('client')).execute();

      await db.schema
        .createTable('console_audit_next')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('user_login', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull().check(actions))
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}'))
        .execute();
      await sql`INSERT INTO console_audit_next SELECT id, at, user_id, user_login, action, target, details FROM console_audit`.execute(db);
      // Dropping the table drops its triggers (and fires none): they are made again on the new one.
      await db.schema.dropTable('console_audit').execute();
      await sql`ALTER TABLE console_audit_next RENAME TO console_audit`.execute(db);
      const message = 'the console audit log is append-only';
      for (const event of ['UPDATE', 'DELETE']) {
        await sql.raw(`CREATE TRIGGER console_audit_append_only_${event.toLowerCase()} BEFORE ${event} ON console_audit BEGIN SELECT RAISE(ABORT, '${message}'); END`).execute(db);
      }
    }

    const agents = await db.selectFrom('agents').select('id').orderBy('id').execute();
    if (agents.length > 0) await appendChanges(db, agents.map((a: { id: string }) => ({ kind: 'agentState', ref: a.id })));
  },
};

// The dashboard's tallies (server/attempt-tallies.ts), filled from the history already there (on a
// server holding 10,000,000 attempts, one pass over them), the count of clients per failures in a
// row, and the client index with the id.
const m0012: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('attempt_tally_agents')
      .addColumn('hour', 'text', (c) => c.notNull())
      .addColumn('agent_id', 'text', (c) => c.notNull())
      .addColumn('agent_name', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('n', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('attempt_tally_agents_pkey', ['hour', 'agent_id', 'agent_name', 'status'])
      .execute();
    await db.schema
      .createTable('attempt_tally_channels')
      .addColumn('hour', 'text', (c) => c.notNull())
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('n', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('attempt_tally_channels_pkey', ['hour', 'channel', 'status'])
      .execute();
    await rebuildAttemptTallies(db);
    await db.schema
      .createTable('client_streak_counts')
      .addColumn('streak', 'integer', (c) => c.primaryKey())
      .addColumn('clients', 'integer', (c) => c.notNull())
      .execute();
    await rebuildStreakCounts(db);
    // The dashboard lists the longest streaks first, then by code: an index in that very order (the
    // one of 0008 ran the other way on the code, so PostgreSQL read every client: 0.9 s at 1M).
    await db.schema.createIndex('clients_by_failure_streak_desc').on('clients').columns(['failure_streak desc', 'code']).where(sql.ref('failure_streak'), '>', sql.lit(0)).execute();
    await db.schema.dropIndex('clients_by_failure_streak').execute();
    // A client's attempts by time with their id: the journal's client filter picks its page among
    // thousands of clients' attempts from this index alone (console/journal.ts), and a client's history
    // reads it in order. It replaces the index without the id, which it serves too.
    await db.schema.createIndex('attempts_by_client_time').on('attempts').columns(['client_code', 'occurred_at', 'id']).execute();
    await db.schema.dropIndex('attempts_by_client').execute();
  },
};

const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_append_only_history': m0002,
  '0003_lighter_push_indexes': m0003,
  '0004_server_identity': m0004,
  '0005_device_agents': m0005,
  '0006_rate_counters': m0006,
  '0007_clients_kept_without_row_locks': m0007,
  '0008_supervision_console': m0008,
  '0009_attempt_reasons': m0009,
  '0010_callback_events': m0010,
  '0011_agent_sign_in': m0011,
  '0012_dashboard_tallies': m0012,
};

export const serverMigrations: MigrationProvider = {
  getMigrations: async () => migrations,
};
