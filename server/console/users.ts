// Console users: people with a login, a role and a password. Made by the CLI (the first admin) or
// by an admin in the console; disabled, never deleted, so the audit log keeps naming them.

import { z } from 'zod';
import { consoleRoles, type ConsoleRole } from '../../contract/enums.ts';
import { text } from '../../contract/text-schema.ts';
import { uuidv7 } from '../../db/ids.ts';
import { AdminError } from '../admin.ts';
import type { ServerDatabase } from '../storage/database.ts';
import { writeTransaction } from '../storage/tx.ts';
import { recordAudit, type Actor } from './audit.ts';
import { hashPassword, passwordRules } from './passwords.ts';

export const loginSchema = text()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[\p{L}\p{N}._@-]+$/u);

export const newUserSchema = z.strictObject({
  login: loginSchema,
  role: z.enum(consoleRoles),
  password: text().min(passwordRules.minLength).max(passwordRules.maxLength),
});

/** Logins compare without case: "Admin" and "admin" are one person. */
export function normaliseLogin(login: string): string {
  return login.trim().toLowerCase();
}

export interface CreatedUser {
  userId: string;
  login: string;
  role: ConsoleRole;
}

export async function createConsoleUser(
  sdb: ServerDatabase,
  input: { login: string; role: string; password: string },
  actor: Actor,
): Promise<CreatedUser> {
  const parsed = newUserSchema.safeParse(input);
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? '');
    if (field === 'password') {
      throw new AdminError(
        `Mot de passe refusé : ${passwordRules.minLength} à ${passwordRules.maxLength} caractères.`,
        `Password refused: ${passwordRules.minLength} to ${passwordRules.maxLength} characters.`,
      );
    }
    if (field === 'role') throw new AdminError(`Rôle inconnu : choisissez ${consoleRoles.join(', ')}.`, `Unknown role: choose ${consoleRoles.join(', ')}.`);
    throw new AdminError(
      'Identifiant refusé : lettres, chiffres et . _ @ - uniquement (64 au plus).',
      'Login refused: letters, digits and . _ @ - only (64 at most).',
    );
  }
  const login = normaliseLogin(parsed.data.login);
  const passwordHash = await hashPassword(parsed.data.password);
  return writeTransaction(sdb, async (trx) => {
    const existing = await trx.selectFrom('console_users').select('id').where('login', '=', login).executeTakeFirst();
    if (existing) throw new AdminError(`L’identifiant « ${login} » existe déjà.`, `The login "${login}" already exists.`);
    const userId = uuidv7();
    const now = new Date();
    await trx
      .insertInto('console_users')
      .values({ id: userId, login, role: parsed.data.role, password_hash: passwordHash, created_at: now.toISOString(), disabled_at: null })
      .execute();
    await recordAudit(trx, actor, 'user.create', userId, { login, role: parsed.data.role }, now);
    return { userId, login, role: parsed.data.role };
  });
}

export async function disableConsoleUser(sdb: ServerDatabase, userId: string, actor: Actor): Promise<void> {
  if (userId === actor.userId) throw new AdminError('Vous ne pouvez pas désactiver votre propre compte.', 'You cannot disable your own account.');
  await writeTransaction(sdb, async (trx) => {
    const user = await trx.selectFrom('console_users').select(['id', 'login', 'disabled_at']).where('id', '=', userId).executeTakeFirst();
    if (!user) throw new AdminError('Utilisateur inconnu.', 'Unknown user.');
    if (user.disabled_at !== null) return;
    const now = new Date();
    await trx.updateTable('console_users').set({ disabled_at: now.toISOString() }).where('id', '=', userId).execute();
    await trx.deleteFrom('console_sessions').where('user_id', '=', userId).execute();
    await recordAudit(trx, actor, 'user.disable', userId, { login: user.login }, now);
  });
}
