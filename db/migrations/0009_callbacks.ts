import { sql, type Kysely } from 'kysely';
import { callbackEvents, sqlList } from '../../contract/enums.ts';

// Call-backs: every event (scheduled, done by an attempt, cancelled) is an append-only row of
// callback_events, from this desk or pulled; `callbacks` is what the worklist reads, one row per
// call-back, kept by triggers from the events whatever their order of arrival (a close pulled
// before its scheduling still closes it). No foreign key to clients: an event pulled before its
// client waits in place and shows once the client is here (the worklist joins clients).
export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    `CREATE TABLE callback_events (
       id TEXT PRIMARY KEY,
       callback_id TEXT NOT NULL,
       event TEXT NOT NULL CHECK (event IN (${sqlList(callbackEvents)})),
       client_code TEXT NOT NULL,
       due_at TEXT,
       for_agent_id TEXT,
       attempt_id TEXT,
       agent_id TEXT NOT NULL,
       agent_name TEXT NOT NULL,
       at TEXT NOT NULL,
       utc_offset_min INTEGER NOT NULL,
       device_id TEXT NOT NULL,
       CHECK ((event = 'scheduled') = (due_at IS NOT NULL))
     ) STRICT`,
    `CREATE INDEX callback_events_by_callback ON callback_events (callback_id)`,
    `CREATE TRIGGER callback_events_are_immutable BEFORE UPDATE ON callback_events BEGIN
       SELECT RAISE(ABORT, 'call-back events are immutable');
     END`,
    `CREATE TRIGGER callback_events_are_kept BEFORE DELETE ON callback_events BEGIN
       SELECT RAISE(ABORT, 'call-back events are kept');
     END`,
    `CREATE TABLE callbacks (
       callback_id TEXT PRIMARY KEY,
       client_code TEXT NOT NULL,
       due_at TEXT NOT NULL,
       for_agent_id TEXT,
       scheduled_by_name TEXT NOT NULL,
       state TEXT NOT NULL CHECK (state IN ('open', 'done', 'cancelled')),
       closed_at TEXT
     ) STRICT`,
    `CREATE INDEX callbacks_open_by_due ON callbacks (state, due_at)`,
    `CREATE INDEX callbacks_by_client ON callbacks (client_code, state)`,
    `CREATE TRIGGER callback_scheduled AFTER INSERT ON callback_events WHEN new.event = 'scheduled' BEGIN
       INSERT OR IGNORE INTO callbacks (callback_id, client_code, due_at, for_agent_id, scheduled_by_name, state, closed_at)
       SELECT new.callback_id, new.client_code, new.due_at, new.for_agent_id, new.agent_name,
              coalesce(c.event, 'open'), c.at
       FROM (SELECT 1) LEFT JOIN (
         SELECT event, at FROM callback_events WHERE callback_id = new.callback_id AND event <> 'scheduled' ORDER BY at, id LIMIT 1
       ) c;
     END`,
    `CREATE TRIGGER callback_closed AFTER INSERT ON callback_events WHEN new.event <> 'scheduled' BEGIN
       UPDATE callbacks SET state = new.event, closed_at = new.at WHERE callback_id = new.callback_id AND state = 'open';
     END`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}
