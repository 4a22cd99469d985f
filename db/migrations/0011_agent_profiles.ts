import { sql, type Kysely } from 'kysely';
import { agentEventKinds, sqlList } from '../../contract/enums.ts';

// Agents of a shared workstation sign in to their own local profile with a PIN (db/agent-profiles.ts),
// and the desk keeps a journal of who signed in, out, locked, or failed to sign in. The agent this
// desk already had becomes its first profile, with its id and former ids, so no attempt changes
// owner; it has no PIN yet and chooses one at its next sign-in. The meta keys agent_id / agent_name
// / agent_former_ids stay what attempts are signed with: they now name the signed-in profile.
export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    `CREATE TABLE agent_profiles (
       id TEXT PRIMARY KEY,
       name TEXT NOT NULL UNIQUE COLLATE NOCASE,
       pin_verifier TEXT,
       former_ids TEXT NOT NULL DEFAULT '[]',
       failed_sign_ins INTEGER NOT NULL DEFAULT 0,
       blocked_until TEXT,
       created_at TEXT NOT NULL
     ) STRICT`,
    `CREATE TABLE agent_events (
       seq INTEGER PRIMARY KEY,
       at TEXT NOT NULL,
       kind TEXT NOT NULL CHECK (kind IN (${sqlList(agentEventKinds)})),
       agent_id TEXT,
       agent_name TEXT NOT NULL
     ) STRICT`,
    `INSERT INTO agent_profiles (id, name, former_ids, created_at)
       SELECT i.value, n.value, COALESCE((SELECT value FROM meta WHERE key = 'agent_former_ids'), '[]'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
       FROM meta i JOIN meta n ON n.key = 'agent_name'
       WHERE i.key = 'agent_id'`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}
