// The administrator's commands, run as the real CLI (npm run server -- admin …) on a real database.

import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listDevices, startServer } from '../../server/index.ts';
import { openServerDatabase } from '../../server/storage/database.ts';
import { hashToken } from '../../server/tokens.ts';
import {
  ProtocolClient,
  attemptRecord,
  countRows,
  createTestDatabase,
  postgresUnavailableReason,
  type Backend,
  type TestDatabase,
} from '../helpers/server.ts';
import { tempDir } from '../helpers/local-db.ts';

const root = resolve(import.meta.dirname, '../..');
const sampleCsv = join(root, 'test/fixtures/clients-sample.csv');
const run = promisify(execFile);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', join(root, 'server/cli.ts'), ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function tokenFrom(stdout: string): string {
  const token = /^(ndk_\S+)$/m.exec(stdout)?.[1];
  if (!token) throw new Error(`no token in: ${stdout}`);
  return token;
}

// Each case runs the CLI as its own Node processes (about 1 s a call here, 10 s on a loaded 2-core
// machine): room for that, so a busy CI machine does not read slowness as a failure.
vi.setConfig({ testTimeout: 120_000 });

const pgReason = await postgresUnavailableReason();
if (pgReason) console.warn(`[skip] admin CLI on PostgreSQL skipped: ${pgReason}`);

describe.each([
  { backend: 'sqlite' as Backend, skip: false },
  { backend: 'postgres' as Backend, skip: pgReason !== null },
])('admin CLI on $backend', ({ backend, skip }) => {
  let database: TestDatabase;
  beforeAll(async () => {
    if (!skip) database = await createTestDatabase(backend);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it.skipIf(skip)('create-agent prints a working token once and stores only its hash; revoke-token by prefix stops it', async () => {
    const created = await cli('admin', 'create-agent', '--db', database.url, '--name', 'Awa Diallo');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('Agent créé : Awa Diallo');
    const token = tokenFrom(created.stdout);

    const sdb = await openServerDatabase(database.url, { migrate: false, poolSize: 1 });
    const rows = await sdb.db.selectFrom('tokens').selectAll().execute();
    await sdb.close();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.hash).toBe(hashToken(token));
    expect(JSON.stringify(rows)).not.toContain(token);
    if (backend === 'sqlite') {
      for (const file of [database.url, `${database.url}-wal`]) {
        try {
          expect(readFileSync(file).includes(token)).toBe(false);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }
    }

    const server = await startServer({ db: database.url });
    try {
      const api = new ProtocolClient(server.url, token);
      expect((await api.me()).body.agentName).toBe('Awa Diallo');

      const listed = await cli('admin', 'list-agents', '--db', database.url);
      expect(listed.stdout).toContain(`${token.slice(0, 12)}…`);
      expect(listed.stdout).not.toContain(token);

      const revoked = await cli('admin', 'revoke-token', '--db', database.url, '--token', token.slice(0, 10));
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(revoked.stdout).toContain('révoqué');
      const refused = await api.me();
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe('auth.revoked');

      const again = await cli('admin', 'revoke-token', '--db', database.url, '--token', token);
      expect(again.stdout).toContain('déjà révoqué');
    } finally {
      await server.close();
    }
  });

  it.skipIf(skip)('import-clients loads the app’s CSV, re-import changes nothing, a bad file writes nothing', async () => {
    const first = await cli('admin', 'import-clients', '--db', database.url, sampleCsv);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/40 lignes lues : 40 clients ajoutés, 0 mis à jour, 0 lignes refusées/);
    const afterFirst = await countRows(database.url);
    expect(afterFirst.clients).toBe(40);

    const second = await cli('admin', 'import-clients', '--db', database.url, sampleCsv);
    expect(second.stdout).toMatch(/0 clients ajoutés, 40 mis à jour/);
    expect((await countRows(database.url)).changes).toBe(afterFirst.changes); // unchanged clients are not re-sent

    const dir = tempDir('desk-admin-');
    const noHeader = join(dir, 'sans-entete.csv');
    writeFileSync(noHeader, '0000100400;ROBERT Karim;+33 6 06 09 68 12\n');
    const bad = await cli('admin', 'import-clients', '--db', database.url, noHeader);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^Erreur : /);
    expect(await countRows(database.url)).toEqual(afterFirst);
    const mixed = join(dir, 'mixte.csv');
    writeFileSync(mixed, 'Code client;Nom;Ville\nNEW1;Nouveau Client;Dakar\n;Sans Code;Lomé\n');
    const partial = await cli('admin', 'import-clients', '--db', database.url, mixed);
    expect(partial.stdout).toMatch(/1 clients ajoutés/);
    expect(partial.stdout).toMatch(/ligne 3 : code client manquant/);
    expect((await countRows(database.url)).clients).toBe(41);

    const withNul = join(dir, 'nul.csv');
    writeFileSync(withNul, 'Code client;Nom;Ville;Segment\nNUL1;Client Propre;Dakar;A\nNUL2;Client Nul;Da\u0000kar;B\nNUL3;Client Extra;Lomé;x\u0000y\nNUL4;Autre Propre;Lomé;C\n');
    const nul = await cli('admin', 'import-clients', '--db', database.url, withNul);
    expect(nul.code, nul.stderr).toBe(0);
    expect(nul.stdout).toMatch(/4 lignes lues : 2 clients ajoutés, 0 mis à jour, 2 lignes refusées/);
    expect(nul.stdout).toContain('ligne 3 : caractère impossible à enregistrer (U+0000) dans la colonne « Ville »');
    expect(nul.stdout).toContain('ligne 4 : caractère impossible à enregistrer (U+0000) dans la colonne « Segment »');
    expect((await countRows(database.url)).clients).toBe(43);

    const missing = await cli('admin', 'import-clients', '--db', database.url, join(dir, 'absent.csv'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('fichier introuvable');
  });

  it.skipIf(skip)('list-devices shows the devices that pushed, with their agent and counts', async () => {
    const token = tokenFrom((await cli('admin', 'create-agent', '--db', database.url, '--name', 'Fatou Sow')).stdout);
    const server = await startServer({ db: database.url });
    try {
      const api = new ProtocolClient(server.url, token);
      const pushed = await api.push('poste-accueil-3', [{ kind: 'attempt', record: attemptRecord({ clientCode: '0000100400', deviceId: 'poste-accueil-3' }) }]);
      expect(pushed.body.results[0].outcome).toBe('applied');
    } finally {
      await server.close();
    }
    const listed = await cli('admin', 'list-devices', '--db', database.url);
    expect(listed.code, listed.stderr).toBe(0);
    const line = listed.stdout.split('\n').find((l) => l.startsWith('poste-accueil-3'));
    expect(line).toMatch(/Fatou Sow .* 1 +0$/);
    expect((await listDevices(database.url))[0]).toMatchObject({ deviceId: 'poste-accueil-3', attemptsPushed: 1, voidsPushed: 0 });
  });

  it.skipIf(skip)('list-devices prints terminal escapes and controls in device ids as visible escapes, one line per agent of a device', async () => {
    const awa = tokenFrom((await cli('admin', 'create-agent', '--db', database.url, '--name', 'Awa\u001b[2J Diallo')).stdout);
    const moussa = tokenFrom((await cli('admin', 'create-agent', '--db', database.url, '--name', 'Moussa Koné')).stdout);
    const hostile = 'poste-\u001b]0;pwned\u0007\u001b[31mrouge\u202eabc\\x1b';
    const server = await startServer({ db: database.url });
    try {
      for (const token of [awa, moussa]) {
        const pushed = await new ProtocolClient(server.url, token).push(hostile, [{ kind: 'attempt', record: attemptRecord({ clientCode: '0000100400', deviceId: hostile }) }]);
        expect(pushed.body.results[0].outcome).toBe('applied');
      }
    } finally {
      await server.close();
    }
    const listed = await cli('admin', 'list-devices', '--db', database.url);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
    const lines = listed.stdout.split('\n').filter((l) => l.startsWith('poste-\\x1b]0;pwned\\x07\\x1b[31mrouge\\u{202e}abc\\\\x1b'));
    expect(lines).toHaveLength(2);
    expect(lines.some((l) => l.includes('Awa\\x1b[2J Diallo'))).toBe(true);
    expect(lines.some((l) => l.includes('Moussa Koné'))).toBe(true);
  });
});

describe('admin CLI refuses bad arguments in French', () => {
  it('names what is wrong and shows the usage', { timeout: 120_000 }, async () => {
    const unknown = await cli('admin', 'delete-everything', '--db', 'x.db');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Commande d’administration inconnue : delete-everything');
    expect(unknown.stderr).toContain('Utilisation :');

    const noName = await cli('admin', 'create-agent', '--db', join(tempDir('desk-admin-'), 's.db'));
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain('Précisez le nom de l’agent');

    const badFlag = await cli('admin', 'list-devices', '--base', 'x.db');
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('Argument non reconnu');

    const badPort = await cli('--db', join(tempDir('desk-admin-'), 's.db'), '--port', 'quatre');
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('Réglage invalide --port = "quatre" : un entier est attendu');

    const unknownToken = await cli('admin', 'revoke-token', '--db', join(tempDir('desk-admin-'), 's.db'), '--token', 'ndk_nothing-like-this');
    expect(unknownToken.code).toBe(1);
    expect(unknownToken.stderr).toContain('Aucun jeton ne correspond');
  });
});
