// npm run server -- [serve] [--db FILE|URL] [--port N] [--host H] …   starts the server
// npm run server -- migrate --db FILE|URL                            migrates its database
// npm run server -- admin <command> --db FILE|URL …                 administers its database
// (installed from the package: notification-desk-server …, the same command line)
// Messages for the administrator are in French; logs are JSON lines (pino) on stdout.

import { parseArgs } from 'node:util';
import { ConfigError, readConfig, settingFlags, settingsHelp, settings, type SettingName } from './config.ts';
import { AdminError, createAgent, importClients, issueToken, listAgents, listDevices, listenServer, revokeToken } from './index.ts';
import { describeLocation, migrateServerDatabase, NewerDatabaseError, openServerDatabase } from './storage/database.ts';
import { printable } from './terminal-text.ts';
import { commandLineActor } from './console/audit.ts';
import { PasswordMismatch, readNewPassword } from './console/password-input.ts';
import { createConsoleUser } from './console/users.ts';
import { createAgentFromConsole, setAgentSecret } from './console/agents.ts';

const serveSettings = Object.keys(settings) as SettingName[];

const usage = `Utilisation :
  npm run server -- [serve] [réglages…]          démarre le serveur (migre la base d’abord, sauf --no-migrate)
  npm run server -- migrate --db …               migre la base puis s’arrête
  npm run server -- admin create-agent   --db … --name "Awa Diallo"   (jeton d’agent affiché, pour un poste sans connexion)
  npm run server -- admin create-agent   --db … --login awa.diallo --name "Awa Diallo" [--agent-secret pin|password]
      (agent qui se connecte sur les postes inscrits ; code PIN ou mot de passe demandé au terminal,
       ou lu sur une ligne de l’entrée standard ; jamais en argument)
  npm run server -- admin set-agent-secret --db … --login awa.diallo [--agent-secret pin|password]
  npm run server -- admin create-token   --db … --agent ID_AGENT
  npm run server -- admin revoke-token   --db … --token JETON|ID|PRÉFIXE
  npm run server -- admin import-clients --db … FICHIER.csv
  npm run server -- admin list-devices   --db …
  npm run server -- admin list-agents    --db …
  npm run server -- admin create-user    --db … --login LOGIN --role admin|supervisor|auditor
      (mot de passe demandé au terminal, ou lu sur une ligne de l’entrée standard ; jamais en argument)
(Installé depuis le paquet : notification-desk-server au lieu de « npm run server -- ».)
Réglages (option, ou variable d’environnement ; l’option l’emporte) :
${settingsHelp(serveSettings)}
Les commandes admin et migrate prennent --db (ou DESK_SERVER_DB).`;

class UsageError extends Error {}

/** For commands whose options all take a value. */
function readStringArgs(args: string[], options: Record<string, { type: 'string' }>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    return fail(`Argument non reconnu : ${(error as Error).message}`);
  }
}

function fail(message: string): never {
  throw new UsageError(message);
}

function readArgs(args: string[], options: Record<string, { type: 'string' } | { type: 'boolean' }>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    return fail(`Argument non reconnu : ${(error as Error).message}`);
  }
}

function database(value: string | undefined): string {
  const db = value ?? process.env.DESK_SERVER_DB;
  if (!db) fail('Précisez la base avec --db (fichier SQLite ou URL postgres://).');
  return db;
}

async function serve(args: string[]): Promise<void> {
  const { values, positionals } = readArgs(args, settingFlags(serveSettings));
  if (positionals.length > 0) fail(`Argument inattendu : ${positionals[0]}`);
  const config = readConfig(serveSettings, values);
  const db = config.db;
  const server = await listenServer({
    db,
    port: config.port,
    host: config.host,
    logger: { level: config.logLevel },
    poolSize: config.poolSize,
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimit,
    rateLimit: {
      max: config.rateLimitMax,
      timeWindowMs: config.rateLimitWindowMs,
      maxAuthFailures: config.rateLimitAuthFailures,
      store: config.rateLimitStore,
    },
    migrate: config.migrate,
    drainTimeoutMs: config.drainTimeoutMs,
    maxEventLoopDelayMs: config.maxEventLoopDelayMs,
    ...(config.reasonsFile ? { reasons: config.reasonsFile } : {}),
    callbackHandoverMinutes: config.callbackHandoverMinutes,
    console: { timeZone: config.consoleTimeZone, ...(config.consoleSecureCookies ? { secureCookies: true } : {}) },
    signIn: { secretKind: config.agentSecret, offlineDays: config.offlineSignInDays },
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, 'stopping');
    server.close().then(
      () => process.exit(process.exitCode ?? 0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    await server.ready;
  } catch (error) {
    if (stopping) return;
    // What waiting cannot fix (a newer database, a failed migration, wrong credentials): say it and stop.
    server.app.log.fatal({ reason: (error as Error).message }, 'cannot serve this database');
    process.exitCode = 1;
    stop('fatal');
    return;
  }
  if (!stopping) server.app.log.info({ db: describeLocation(db) }, 'Notification Desk server ready');
}

/** Runs this version's migrations and stops: for a deploy that migrates once, then starts instances with --no-migrate. */
async function migrate(args: string[]): Promise<void> {
  const { values, positionals } = readStringArgs(args, { db: { type: 'string' } });
  if (positionals.length > 0) fail(`Argument inattendu : ${positionals[0]}`);
  const db = database(values.db);
  const sdb = await openServerDatabase(db, { poolSize: 1, migrate: false });
  try {
    const ran = await migrateServerDatabase(sdb.db);
    console.log(ran.length > 0 ? `Migrations appliquées à ${sdb.location} : ${ran.join(', ')}` : `La base ${sdb.location} est à jour : aucune migration à appliquer.`);
  } finally {
    await sdb.close();
  }
}

/** Every cell is escaped (terminal-text.ts): what the database holds came from desks and imports. */
function table(rows: Record<string, string | number | null>[]): string {
  if (rows.length === 0) return '(aucun)';
  const keys = Object.keys(rows[0]!);
  const cell = (r: Record<string, string | number | null>, k: string) => printable(String(r[k] ?? '—'));
  const width = (k: string) => Math.max(k.length, ...rows.map((r) => cell(r, k).length));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width(keys[i]!))).join('  ').trimEnd();
  return [line(keys), ...rows.map((r) => line(keys.map((k) => cell(r, k))))].join('\n');
}

async function admin(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  const { values, positionals } = readStringArgs(rest, {
    db: { type: 'string' },
    name: { type: 'string' },
    token: { type: 'string' },
    agent: { type: 'string' },
    login: { type: 'string' },
    role: { type: 'string' },
    'agent-secret': { type: 'string' },
  });
  // The site's secret kind, as the server is started with (flag, then DESK_SERVER_AGENT_SECRET).
  const agentSecretKind = () => readConfig(['agentSecret'], values).agentSecret;
  const readAgentSecret = async (kind: 'pin' | 'password') => {
    if (positionals.length > 0) fail('Le secret ne se donne jamais en argument : il est demandé au terminal, ou lu sur l’entrée standard.');
    return readNewPassword(kind === 'pin' ? 'Code PIN' : 'Mot de passe').catch((error: unknown) => {
      if (error instanceof PasswordMismatch) throw new AdminError('Les deux saisies diffèrent.', 'The two entries differ.');
      throw error;
    });
  };
  switch (command) {
    case 'create-user': {
      if (!values.login) fail('Précisez l’identifiant avec --login.');
      if (!values.role) fail('Précisez le rôle avec --role (admin, supervisor ou auditor).');
      if (positionals.length > 0) fail('Le mot de passe ne se donne jamais en argument : il est demandé au terminal, ou lu sur l’entrée standard.');
      const password = await readNewPassword().catch((error: unknown) => {
        if (error instanceof PasswordMismatch) throw new AdminError(error.message, 'The two passwords differ.');
        throw error;
      });
      const sdb = await openServerDatabase(database(values.db), { poolSize: 2 });
      try {
        const user = await createConsoleUser(sdb, { login: values.login, role: values.role, password }, commandLineActor);
        console.log(`Utilisateur de la console créé : ${user.login} (${user.role}).`);
      } finally {
        await sdb.close();
      }
      return;
    }
    case 'create-agent': {
      if (!values.name) fail('Précisez le nom de l’agent avec --name "Prénom Nom".');
      if (values.login !== undefined) {
        const kind = agentSecretKind();
        const secret = await readAgentSecret(kind);
        const sdb = await openServerDatabase(database(values.db), { poolSize: 2 });
        try {
          const agent = await createAgentFromConsole(sdb, { name: values.name, login: values.login, secret }, commandLineActor, kind);
          console.log(`Agent créé : ${printable(agent.name)} (identifiant ${printable(agent.login ?? '')}, ${agent.agentId}) ; il se connecte sur les postes inscrits.`);
        } finally {
          await sdb.close();
        }
        return;
      }
      const issued = await createAgent(database(values.db), values.name);
      console.log(`Agent créé : ${issued.agentName} (${issued.agentId})`);
      console.log(`Jeton d’accès (affiché une seule fois, à saisir dans l’application) :\n${issued.token}`);
      return;
    }
    case 'set-agent-secret': {
      if (!values.login) fail('Précisez l’identifiant de l’agent avec --login.');
      const kind = agentSecretKind();
      const secret = await readAgentSecret(kind);
      const sdb = await openServerDatabase(database(values.db), { poolSize: 2 });
      try {
        const agent = await setAgentSecret(sdb, { login: values.login }, secret, kind, commandLineActor);
        console.log(`Nouveau ${kind === 'pin' ? 'code PIN' : 'mot de passe'} enregistré pour ${printable(agent.name)} (${printable(agent.login)}).`);
      } finally {
        await sdb.close();
      }
      return;
    }
    case 'create-token': {
      if (!values.agent) fail('Précisez l’identifiant de l’agent avec --agent.');
      const issued = await issueToken(database(values.db), values.agent);
      console.log(`Nouveau jeton pour ${issued.agentName} (affiché une seule fois) :\n${issued.token}`);
      return;
    }
    case 'revoke-token': {
      const given = values.token ?? positionals[0];
      if (!given) fail('Précisez le jeton à révoquer avec --token (jeton entier, identifiant ou début du jeton).');
      const revoked = await revokeToken(database(values.db), given);
      console.log(
        revoked.alreadyRevoked
          ? `Ce jeton de ${revoked.agentName} était déjà révoqué.`
          : `Jeton ${revoked.tokenId} de ${revoked.agentName} révoqué : il ne fonctionne plus.`,
      );
      return;
    }
    case 'import-clients': {
      const file = positionals[0];
      if (!file) fail('Précisez le fichier CSV des clients.');
      if (positionals.length > 1) fail(`Argument inattendu : ${positionals[1]}`);
      const report = await importClients(database(values.db), file);
      console.log(`${report.total} lignes lues : ${report.inserted} clients ajoutés, ${report.updated} mis à jour, ${report.rejected.length + (report.rejectedTruncated ? '+' : '')} lignes refusées.${report.encoding ? ` Encodage : ${report.encoding}.` : ''}`);
      for (const line of report.rejected.slice(0, 50)) console.log(`  ligne ${line.line} : ${printable(line.message.fr)}`);
      if (report.rejected.length > 50) console.log(`  … et ${report.rejected.length - 50} autres.`);
      return;
    }
    case 'list-devices': {
      const devices = await listDevices(database(values.db));
      console.log(
        table(
          // One line per agent seen on each device: a shared desk lists each agent with their own counts.
          devices.flatMap((d) =>
            d.agents.map((a) => ({
              poste: d.deviceId,
              agent: a.agentName,
              'vu la première fois': a.firstSeen,
              'vu la dernière fois': a.lastSeen,
              tentatives: a.attemptsPushed,
              annulations: a.voidsPushed,
            })),
          ),
        ),
      );
      return;
    }
    case 'list-agents': {
      const agents = await listAgents(database(values.db));
      console.log(
        table(
          agents.flatMap((a) =>
            (a.tokens.length ? a.tokens : [null]).map((t) => ({
              agent: a.name,
              'id agent': a.agentId,
              jeton: t ? `${t.prefix}…` : null,
              'id jeton': t?.tokenId ?? null,
              'dernier usage': t?.lastUsedAt ?? null,
              révoqué: t?.revokedAt ?? null,
            })),
          ),
        ),
      );
      return;
    }
    default:
      fail(command ? `Commande d’administration inconnue : ${command}` : 'Précisez une commande d’administration.');
  }
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(usage);
    return;
  }
  if (argv[0] === 'admin') await admin(argv.slice(1));
  else if (argv[0] === 'migrate') await migrate(argv.slice(1));
  else await serve(argv[0] === 'serve' ? argv.slice(1) : argv);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${usage}`);
    process.exitCode = 2;
  } else if (error instanceof ConfigError) {
    console.error(`${error.message}\n(npm run server -- --help)`);
    process.exitCode = 2;
  } else if (error instanceof AdminError || error instanceof NewerDatabaseError) {
    console.error(`Erreur : ${error.message}`);
    process.exitCode = 1;
  } else {
    const e = error as { message?: string; code?: string };
    const detail = e.code === 'ENOENT' ? 'fichier introuvable' : e.code === 'ECONNREFUSED' ? 'base de données injoignable' : e.message;
    console.error(`Erreur : ${detail ?? String(error)}`);
    process.exitCode = 1;
  }
});
