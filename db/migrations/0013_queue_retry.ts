import { sql, type Kysely } from 'kysely';

// "Client suivant" without a scan (db/queue.ts): each client row keeps when its failure may be tried
// again. retry_wait_min is the wait of its last attempt's rule and retry_at the instant it comes due
// (last attempt + wait); both NULL when the queue must not offer it again: not a failure, a reason
// that stops ("Faux numéro"), or as many attempts as the rule allows. The rules are data (the site's
// reason list, else the defaults), copied into queue_rules by db/queue.ts whenever they change; the
// triggers below keep the two columns in every path that moves a client's last attempt (a click, a
// pulled page, a void, a recomputation) or gives that attempt its reason, in the same transaction.
// queue_rules starts empty: db/queue.ts fills it and recomputes every client before the first answer.
export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    `ALTER TABLE clients ADD COLUMN retry_wait_min INTEGER`,
    `ALTER TABLE clients ADD COLUMN retry_at TEXT`,
    // reason_code '' is the rule of a failure without a reason, or with a reason the list does not
    // have among its failures. wait_min NULL: that reason stops the client.
    `CREATE TABLE queue_rules (
       reason_code TEXT PRIMARY KEY,
       wait_min INTEGER CHECK (wait_min IS NULL OR wait_min >= 0),
       max_attempts INTEGER CHECK (max_attempts IS NULL OR max_attempts >= 1)
     ) STRICT`,
    // One range per distinct wait, in due order (= last attempt order within a wait).
    `CREATE INDEX clients_retry_due ON clients (retry_wait_min, retry_at, code) WHERE retry_at IS NOT NULL`,
    `CREATE TRIGGER clients_retry_kept AFTER UPDATE OF last_status, last_attempt_id, last_attempt_at, attempt_count ON clients BEGIN
       UPDATE clients SET (retry_wait_min, retry_at) = (
         SELECT r.wait_min, strftime('%Y-%m-%dT%H:%M:%fZ', NEW.last_attempt_at, '+' || r.wait_min || ' minutes')
         FROM queue_rules r
         WHERE NEW.last_status = 'failure' AND NEW.last_attempt_at IS NOT NULL
           AND r.wait_min IS NOT NULL AND NEW.attempt_count < r.max_attempts
           AND r.reason_code = COALESCE(
             (SELECT q.reason_code FROM attempt_reasons a JOIN queue_rules q ON q.reason_code = a.code WHERE a.attempt_id = NEW.last_attempt_id), '')
       ) WHERE rowid = NEW.rowid;
     END`,
    // A reason given after the click (or pulled after its attempt) changes its client's rule.
    `CREATE TRIGGER attempt_reasons_retry AFTER INSERT ON attempt_reasons BEGIN
       UPDATE clients SET attempt_count = attempt_count
       WHERE code = (SELECT client_code FROM attempts WHERE id = NEW.attempt_id) AND last_attempt_id = NEW.attempt_id;
     END`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}
