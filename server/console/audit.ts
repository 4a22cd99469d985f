// The console's own audit log: one row per change made through it, in the change's transaction,
// never updated nor deleted (triggers refuse it). Details never carry a secret.

import type { Kysely } from 'kysely';
import type { ConsoleAuditAction } from '../../contract/enums.ts';
import { uuidv7 } from '../../db/ids.ts';
import type { ServerSchema } from '../storage/schema.ts';

export interface Actor {
  userId: string;
  login: string;
}

/** Who acts from the command line: the administrator at the server's terminal. */
export const commandLineActor: Actor = { userId: 'cli', login: '(ligne de commande)' };

export async function recordAudit(
  trx: Kysely<ServerSchema>,
  actor: Actor,
  action: ConsoleAuditAction,
  target: string,
  details: Record<string, string | number | null> = {},
  at: Date = new Date(),
): Promise<void> {
  await trx
    .insertInto('console_audit')
    .values({ id: uuidv7(), at: at.toISOString(), user_id: actor.userId, user_login: actor.login, action, target, details: JSON.stringify(details) })
    .execute();
}
