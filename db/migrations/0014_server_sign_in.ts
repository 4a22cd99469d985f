import { sql, type Kysely } from 'kysely';
import { agentEventKinds, sqlList } from '../../contract/enums.ts';

// Agents sign in against the server on a desk enrolled with a device credential (issue 9,
// db/agent-sign-in.ts). Per server agent who signed in online here: the token the server gave for
// (agent, this desk), sealed like the device's own token, and the offline verifier (scrypt of the
// secret, never the secret) with the period the server allowed. agent_events grows what the server
// keeps of it (an id to push idempotently, the login as typed, offline or not, when it was sent)
// and 'unlock'; SQLite cannot alter a CHECK, so the table is rebuilt with the rows it had.
// A desk enrolled before (an agent's token in meta sync_token) keeps that token: it stays the
// token of the agent the server names for it, so no attempt changes owner.
export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    `CREATE TABLE agent_tokens (
       agent_id TEXT PRIMARY KEY,
       token TEXT NOT NULL,
       token_storage TEXT NOT NULL CHECK (token_storage IN ('safeStorage', 'plain')),
       issued_at TEXT NOT NULL
     ) STRICT`,
    `CREATE TABLE agent_verifiers (
       agent_id TEXT PRIMARY KEY,
       login TEXT NOT NULL UNIQUE,
       name TEXT NOT NULL,
       verifier TEXT NOT NULL,
       verified_online_at TEXT NOT NULL,
       offline_days INTEGER NOT NULL CHECK (offline_days >= 0),
       failed_sign_ins INTEGER NOT NULL DEFAULT 0,
       blocked_until TEXT
     ) STRICT`,
    `CREATE TABLE agent_events_next (
       seq INTEGER PRIMARY KEY,
       id TEXT NOT NULL UNIQUE,
       at TEXT NOT NULL,
       kind TEXT NOT NULL CHECK (kind IN (${sqlList(agentEventKinds)})),
       agent_id TEXT,
       agent_name TEXT NOT NULL,
       login TEXT,
       offline INTEGER NOT NULL DEFAULT 0 CHECK (offline IN (0, 1)),
       sent_at TEXT
     ) STRICT`,
    // Journal rows from before have no id: they get one from their seq (a v7-shaped uuid would lie
    // about their time, so these are never pushed: sent_at marks them as told already).
    `INSERT INTO agent_events_next (seq, id, at, kind, agent_id, agent_name, sent_at)
       SELECT seq, 'legacy-' || seq, at, kind, agent_id, agent_name, at FROM agent_events`,
    `DROP TABLE agent_events`,
    `ALTER TABLE agent_events_next RENAME TO agent_events`,
    `CREATE INDEX agent_events_unsent ON agent_events (seq) WHERE sent_at IS NULL`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}
