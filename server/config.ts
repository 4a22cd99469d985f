// Every setting of the server, by flag or by environment variable (a flag wins), validated at start
// with one clear message per wrong value. One list below feeds the parser, the checks and --help;
// docs/deploy-server.md has the same table (a test keeps them in step).

import { z } from 'zod';
import { pushLimits } from '../contract/sync-protocol.ts';
import { readFileSync } from 'node:fs';
import { limits } from '../contract/limits.ts';
import { reasonListSchema } from '../contract/reason-schema.ts';
import type { ReasonDefinition } from '../contract/reasons.ts';
import { agentSecretKinds } from '../contract/enums.ts';
import { rateLimitStores } from './rate-limit.ts';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const digits = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'un entier est attendu (an integer is expected)')
    .transform(Number)
    .pipe(z.number().int().min(min, `au moins ${min} (at least ${min})`).max(max, `au plus ${max} (at most ${max})`));

const boolean = z
  .string()
  .transform((v) => v.trim().toLowerCase())
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { message: 'true ou false attendu (true or false expected)' }))
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

/**
 * Fastify's trustProxy: false (default: the peer is the client), true (trust every proxy: only
 * behind a proxy that overwrites X-Forwarded-For), a number of hops, or addresses/CIDRs.
 */
const trustProxy = z
  .string()
  .trim()
  .min(1, 'valeur vide (empty value)')
  .transform((v): boolean | number | string[] => {
    if (/^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
    if (/^\d+$/.test(v)) return Number(v);
    return v.split(',').map((part) => part.trim());
  })
  .refine(
    (v) => typeof v !== 'object' || v.every((part) => /^[0-9a-fA-F.:]+(\/\d{1,3})?$|^(loopback|linklocal|uniquelocal)$/.test(part)),
    'true, false, un nombre de relais ou des adresses/CIDR séparées par des virgules (true, false, a hop count or comma-separated addresses/CIDRs)',
  );

/**
 * The site's reason list: a JSON file (contract/reason-schema.ts), read and checked at start, so a
 * wrong file stops the start with its fault named instead of reaching the desks. Empty: none.
 */
const reasonsFile = z.string().transform((path, ctx): ReasonDefinition[] | null => {
  if (path.trim() === '') return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `fichier illisible ou JSON invalide (unreadable file or invalid JSON): ${(error as Error).message}` });
    return z.NEVER;
  }
  const list = reasonListSchema.safeParse(raw);
  if (!list.success) {
    const issue = list.error.issues[0]!;
    ctx.addIssue({ code: 'custom', message: `liste de motifs refusée (reason list refused): ${issue.path.join('.') || 'list'}: ${issue.message}` });
    return z.NEVER;
  }
  return list.data;
});

/**
 * An IANA time zone name (Europe/Paris, America/Cayenne, UTC), which this Node knows: the console's
 * calendar days and server times. Offsets such as "+01:00" are refused: they know no summer time.
 */
const timeZone = z
  .string()
  .trim()
  .min(1, 'valeur vide (empty value)')
  .refine((v) => /^(?:[A-Za-z][A-Za-z0-9_+-]*)(?:\/[A-Za-z0-9_+-]+)*$/.test(v) && knownTimeZone(v), 'fuseau horaire IANA inconnu, par exemple Europe/Paris (unknown IANA time zone, e.g. Europe/Paris)');

function knownTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export interface SettingSpec {
  flag: string;
  env: string;
  /** As shown in --help and the docs. */
  example: string;
  fallback: string;
  schema: z.ZodType;
  help: string;
}

export const settings = {
  db: {
    flag: 'db',
    env: 'DESK_SERVER_DB',
    example: './data/server.db | postgres://…',
    fallback: './data/server.db',
    schema: z.string().trim().min(1, 'valeur vide (empty value)'),
    help: 'Base : fichier SQLite ou URL postgres://',
  },
  host: {
    flag: 'host',
    env: 'HOST',
    example: '0.0.0.0',
    fallback: '127.0.0.1',
    schema: z.string().trim().min(1, 'valeur vide (empty value)'),
    help: 'Adresse d’écoute (0.0.0.0 : toutes les interfaces)',
  },
  port: { flag: 'port', env: 'PORT', example: '8787', fallback: '8787', schema: digits(0, 65535), help: 'Port d’écoute (0 : un port libre)' },
  poolSize: {
    flag: 'pool-size',
    env: 'DESK_SERVER_POOL_SIZE',
    example: '10',
    fallback: '10',
    schema: digits(1, 1000),
    help: 'Connexions PostgreSQL de cette instance',
  },
  trustProxy: {
    flag: 'trust-proxy',
    env: 'DESK_SERVER_TRUST_PROXY',
    example: '127.0.0.1',
    fallback: 'false',
    schema: trustProxy,
    help: 'Relais dont on croit X-Forwarded-For/-Proto (false, true, nombre, adresses/CIDR)',
  },
  logLevel: {
    flag: 'log-level',
    env: 'DESK_SERVER_LOG_LEVEL',
    example: 'info',
    fallback: 'info',
    schema: z.enum(logLevels, { message: `une valeur parmi ${logLevels.join(', ')} (one of them)` }),
    help: 'Niveau des journaux',
  },
  rateLimitMax: {
    flag: 'rate-limit-max',
    env: 'DESK_SERVER_RATE_LIMIT_MAX',
    example: '600',
    fallback: '600',
    schema: digits(1, 10_000_000),
    help: 'Requêtes permises par jeton et par fenêtre',
  },
  rateLimitWindowMs: {
    flag: 'rate-limit-window-ms',
    env: 'DESK_SERVER_RATE_LIMIT_WINDOW_MS',
    example: '60000',
    fallback: '60000',
    schema: digits(1000, 86_400_000),
    help: 'Durée de la fenêtre du limiteur (ms)',
  },
  rateLimitAuthFailures: {
    flag: 'rate-limit-auth-failures',
    env: 'DESK_SERVER_RATE_LIMIT_AUTH_FAILURES',
    example: '30',
    fallback: '30',
    schema: digits(1, 1_000_000),
    help: 'Jetons refusés permis par adresse et par fenêtre, avant 429',
  },
  rateLimitStore: {
    flag: 'rate-limit-store',
    env: 'DESK_SERVER_RATE_LIMIT_STORE',
    example: 'memory',
    fallback: 'memory',
    schema: z.enum(rateLimitStores, { message: `une valeur parmi ${rateLimitStores.join(', ')} (one of them)` }),
    help: 'Où compter : memory (une instance) ou postgres (partagé entre instances)',
  },
  bodyLimit: {
    flag: 'body-limit',
    env: 'DESK_SERVER_BODY_LIMIT',
    example: String(pushLimits.maxBodyBytes),
    fallback: String(pushLimits.maxBodyBytes),
    schema: digits(64 * 1024, 64 * 1024 * 1024),
    help: 'Taille maximale d’une requête (octets)',
  },
  migrate: {
    flag: 'migrate',
    env: 'DESK_SERVER_MIGRATE',
    example: 'false',
    fallback: 'true',
    schema: boolean,
    help: 'Migrer la base au démarrage (false : attendre la commande migrate)',
  },
  drainTimeoutMs: {
    flag: 'drain-timeout-ms',
    env: 'DESK_SERVER_DRAIN_TIMEOUT_MS',
    example: '5000',
    fallback: '5000',
    schema: digits(0, 600_000),
    help: 'À l’arrêt, attente des requêtes en cours avant de couper (ms)',
  },
  maxEventLoopDelayMs: {
    flag: 'max-event-loop-delay-ms',
    env: 'DESK_SERVER_MAX_EVENT_LOOP_DELAY_MS',
    example: '1000',
    fallback: '1000',
    schema: digits(0, 60_000),
    help: 'Surcharge : au-delà de ce retard de la boucle, réponses 503 (0 : jamais)',
  },
  reasonsFile: {
    flag: 'reasons-file',
    env: 'DESK_SERVER_REASONS_FILE',
    example: './reasons.json',
    fallback: '',
    schema: reasonsFile,
    help: 'Liste de motifs du site (JSON), envoyée aux postes (vide : motifs par défaut)',
  },
  callbackHandoverMinutes: {
    flag: 'callback-handover-minutes',
    env: 'DESK_SERVER_CALLBACK_HANDOVER_MINUTES',
    example: '60',
    fallback: String(limits.callbackHandoverMinutes),
    schema: digits(1, 7 * 24 * 60),
    help: 'Minutes après l’échéance où le rappel « pour moi » encore ouvert passe à l’équipe',
  },
  consoleTimeZone: {
    flag: 'console-time-zone',
    env: 'DESK_SERVER_CONSOLE_TIME_ZONE',
    example: 'Europe/Paris',
    fallback: 'Europe/Paris',
    schema: timeZone,
    help: 'Fuseau (IANA) des jours et heures du serveur dans la console : journal, tableau de bord, exports',
  },
  consoleSecureCookies: {
    flag: 'console-secure-cookies',
    env: 'DESK_SERVER_CONSOLE_SECURE_COOKIES',
    example: 'true',
    fallback: 'false',
    schema: boolean,
    help: 'Cookies de la console toujours Secure (false : seulement en HTTPS, vu en direct ou par X-Forwarded-Proto d’un relais cru)',
  },
  agentSecret: {
    flag: 'agent-secret',
    env: 'DESK_SERVER_AGENT_SECRET',
    example: 'pin',
    fallback: 'pin',
    schema: z.enum(agentSecretKinds, { message: 'pin ou password attendu (pin or password expected)' }),
    help: `Secret des agents sur les postes inscrits : pin (${limits.agentPinMin} à ${limits.agentPinMax} chiffres) ou password (${limits.agentPasswordMin} à ${limits.agentPasswordMax} caractères)`,
  },
  offlineSignInDays: {
    flag: 'offline-sign-in-days',
    env: 'DESK_SERVER_OFFLINE_SIGN_IN_DAYS',
    example: '14',
    fallback: String(limits.offlineSignInDaysDefault),
    schema: digits(0, limits.offlineSignInDaysMax),
    help: 'Jours pendant lesquels un agent connecté en ligne sur un poste peut s’y connecter hors ligne (0 : jamais)',
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof settings;
export type ServerConfig = { [K in SettingName]: z.output<(typeof settings)[K]['schema']> };

/** A setting given a value it cannot take: the message names the flag, the variable and the value. */
export class ConfigError extends Error {
  constructor(messages: string[]) {
    super(messages.join('\n'));
    this.name = 'ConfigError';
  }
}

/** The flags parseArgs takes for these settings (string-valued; --no-migrate as a shorthand). */
export function settingFlags<K extends SettingName>(names: readonly K[]): Record<string, { type: 'string' } | { type: 'boolean' }> {
  const flags: Record<string, { type: 'string' } | { type: 'boolean' }> = {};
  for (const name of names) flags[settings[name].flag] = { type: 'string' };
  if (names.includes('migrate' as K)) flags['no-migrate'] = { type: 'boolean' };
  return flags;
}

/** Reads the given settings from flags (parsed by parseArgs), then the environment, then defaults. */
export function readConfig<K extends SettingName>(
  names: readonly K[],
  flags: Record<string, string | boolean | undefined>,
  env: Record<string, string | undefined> = process.env,
): Pick<ServerConfig, K> {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const name of names) {
    const spec: SettingSpec = settings[name];
    let raw = flags[spec.flag];
    let source = `--${spec.flag}`;
    if (name === 'migrate' && flags['no-migrate'] === true) {
      raw = 'false';
      source = '--no-migrate';
    }
    if (raw === undefined && env[spec.env] !== undefined && env[spec.env] !== '') {
      raw = env[spec.env];
      source = spec.env;
    }
    if (raw === undefined) {
      raw = spec.fallback;
      source = 'défaut';
    }
    const parsed = spec.schema.safeParse(String(raw));
    if (parsed.success) values[name] = parsed.data;
    else {
      const shown = JSON.stringify(String(raw).slice(0, 80));
      const why = parsed.error.issues.map((issue) => issue.message).join(' ; ');
      problems.push(`Réglage invalide ${source} = ${shown} : ${why}. (Invalid setting ${source} = ${shown}: ${why}.)`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return values as Pick<ServerConfig, K>;
}

/** The settings part of --help. */
export function settingsHelp(names: readonly SettingName[]): string {
  return names
    .map((name) => {
      const spec: SettingSpec = settings[name];
      return `  --${spec.flag} ${spec.example}`.padEnd(48) + ` ${spec.env}  ${spec.help} (défaut ${spec.fallback})`;
    })
    .join('\n');
}
