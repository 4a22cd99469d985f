// The server's settings: flag over environment over default, strict values, one clear message per
// wrong value naming where it came from, and the deployment guide's table listing every setting.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig, settings, type SettingName } from '../../server/config.ts';

const all = Object.keys(settings) as SettingName[];

describe('server settings', () => {
  it('takes the defaults when nothing is given', () => {
    expect(readConfig(all, {}, {})).toEqual({
      db: './data/server.db',
      host: '127.0.0.1',
      port: 8787,
      poolSize: 10,
      trustProxy: false,
      logLevel: 'info',
      rateLimitMax: 600,
      rateLimitWindowMs: 60_000,
      rateLimitAuthFailures: 30,
      rateLimitStore: 'memory',
      bodyLimit: 2 * 1024 * 1024,
      migrate: true,
      drainTimeoutMs: 5000,
      maxEventLoopDelayMs: 1000,
      reasonsFile: null,
      callbackHandoverMinutes: 60,
      consoleTimeZone: 'Europe/Paris',
      consoleSecureCookies: false,
      agentSecret: 'pin',
      offlineSignInDays: 14,
    });
  });

  it('reads the site’s reason list from its file, and stops the start on a wrong one, naming the fault', () => {
    const dir = mkdtempSync(join(tmpdir(), 'desk-reasons-'));
    try {
      const good = join(dir, 'reasons.json');
      const list = [{ code: 'absent', status: 'failure', label: { fr: 'Absent', en: 'Away' }, retry: { kind: 'again', afterMinutes: 60, maxAttempts: 3 } }];
      writeFileSync(good, JSON.stringify(list));
      expect(readConfig(['reasonsFile'], { 'reasons-file': good }, {})).toEqual({ reasonsFile: list });
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify([{ ...list[0], code: 'Pas de réponse' }]));
      expect(() => readConfig(['reasonsFile'], {}, { DESK_SERVER_REASONS_FILE: bad })).toThrow(/DESK_SERVER_REASONS_FILE.*liste de motifs refusée.*0\.code/);
      expect(() => readConfig(['reasonsFile'], { 'reasons-file': join(dir, 'missing.json') }, {})).toThrow(/--reasons-file.*fichier illisible/);
      expect(() => readConfig(['callbackHandoverMinutes'], { 'callback-handover-minutes': '0' }, {})).toThrow(/au moins 1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads every setting from its environment variable, and a flag wins over it', () => {
    const env = {
      DESK_SERVER_DB: 'postgres://desk@db/desk',
      HOST: '0.0.0.0',
      PORT: '9000',
      DESK_SERVER_POOL_SIZE: '25',
      DESK_SERVER_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1',
      DESK_SERVER_LOG_LEVEL: 'warn',
      DESK_SERVER_RATE_LIMIT_MAX: '1200',
      DESK_SERVER_RATE_LIMIT_WINDOW_MS: '30000',
      DESK_SERVER_RATE_LIMIT_AUTH_FAILURES: '5',
      DESK_SERVER_RATE_LIMIT_STORE: 'postgres',
      DESK_SERVER_BODY_LIMIT: '1048576',
      DESK_SERVER_MIGRATE: 'false',
      DESK_SERVER_DRAIN_TIMEOUT_MS: '2000',
      DESK_SERVER_MAX_EVENT_LOOP_DELAY_MS: '0',
      DESK_SERVER_CALLBACK_HANDOVER_MINUTES: '90',
      DESK_SERVER_CONSOLE_TIME_ZONE: 'America/Cayenne',
      DESK_SERVER_CONSOLE_SECURE_COOKIES: 'true',
      DESK_SERVER_AGENT_SECRET: 'password',
      DESK_SERVER_OFFLINE_SIGN_IN_DAYS: '0',
    };
    expect(readConfig(all, {}, env)).toEqual({
      db: 'postgres://desk@db/desk',
      host: '0.0.0.0',
      port: 9000,
      poolSize: 25,
      trustProxy: ['10.0.0.0/8', '127.0.0.1'],
      logLevel: 'warn',
      rateLimitMax: 1200,
      rateLimitWindowMs: 30_000,
      rateLimitAuthFailures: 5,
      rateLimitStore: 'postgres',
      bodyLimit: 1_048_576,
      migrate: false,
      drainTimeoutMs: 2000,
      maxEventLoopDelayMs: 0,
      reasonsFile: null,
      callbackHandoverMinutes: 90,
      consoleTimeZone: 'America/Cayenne',
      consoleSecureCookies: true,
      agentSecret: 'password',
      offlineSignInDays: 0,
    });
    expect(() => readConfig(['agentSecret'], { 'agent-secret': 'pattern' }, {})).toThrow(/--agent-secret.*pin ou password attendu/);
    expect(() => readConfig(['offlineSignInDays'], {}, { DESK_SERVER_OFFLINE_SIGN_IN_DAYS: '366' })).toThrow(/DESK_SERVER_OFFLINE_SIGN_IN_DAYS.*au plus 365/);
    expect(readConfig(['port', 'host', 'migrate'], { port: '8080', host: '::' }, { ...env, DESK_SERVER_MIGRATE: 'true' })).toEqual({
      port: 8080,
      host: '::',
      migrate: true,
    });
    expect(readConfig(['migrate'], { 'no-migrate': true }, {})).toEqual({ migrate: false });
    expect(readConfig(['trustProxy'], { 'trust-proxy': '2' }, {})).toEqual({ trustProxy: 2 });
    expect(readConfig(['trustProxy'], { 'trust-proxy': 'TRUE' }, {})).toEqual({ trustProxy: true });
  });

  it('refuses loose numbers and unknown values, naming the flag or variable and the value, in French and English', () => {
    const refused = (flags: Record<string, string>, env: Record<string, string> = {}) => {
      try {
        readConfig(all, flags, env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    for (const loose of ['1e3', '0x10', ' 5', '5.0', '-1']) {
      expect(refused({ port: loose })).toContain(`Réglage invalide --port = ${JSON.stringify(loose)}`);
    }
    expect(refused({ port: '70000' })).toContain('au plus 65535 (at most 65535)');
    expect(refused({}, { PORT: 'http' })).toContain('Réglage invalide PORT = "http" : un entier est attendu');
    expect(refused({}, { DESK_SERVER_LOG_LEVEL: 'verbose' })).toContain('DESK_SERVER_LOG_LEVEL = "verbose"');
    expect(refused({}, { DESK_SERVER_MIGRATE: 'peut-être' })).toContain('true ou false attendu (true or false expected)');
    expect(refused({}, { DESK_SERVER_TRUST_PROXY: 'proxy.example; rm' })).toContain('DESK_SERVER_TRUST_PROXY');
    expect(refused({ 'pool-size': '0' })).toContain('au moins 1');
    // The console's zone: an IANA name this Node knows; an offset or a made-up name is refused.
    for (const zone of ['Europe/Pariss', '+01:00', 'UTC+1', 'Europe/../etc', 'Paris']) {
      expect(refused({ 'console-time-zone': zone })).toContain(`--console-time-zone = ${JSON.stringify(zone)} : fuseau horaire IANA inconnu`);
    }
    expect(readConfig(['consoleTimeZone'], { 'console-time-zone': 'Indian/Reunion' }, {})).toEqual({ consoleTimeZone: 'Indian/Reunion' });
    expect(readConfig(['consoleTimeZone'], {}, { DESK_SERVER_CONSOLE_TIME_ZONE: 'UTC' })).toEqual({ consoleTimeZone: 'UTC' });
    expect(refused({}, { DESK_SERVER_CONSOLE_SECURE_COOKIES: 'maybe' })).toContain('DESK_SERVER_CONSOLE_SECURE_COOKIES = "maybe" : true ou false attendu');
    // Every wrong value at once, one line each.
    expect(refused({ port: 'x', 'pool-size': 'y' }).split('\n')).toHaveLength(2);
  });

  it('is documented, flag and variable, in docs/deploy-server.md', () => {
    const guide = readFileSync(resolve(import.meta.dirname, '../../docs/deploy-server.md'), 'utf8');
    for (const name of all) {
      const spec = settings[name];
      expect(guide, spec.flag).toContain(`\`--${spec.flag}\``);
      expect(guide, spec.env).toContain(`\`${spec.env}\``);
    }
  });
});
