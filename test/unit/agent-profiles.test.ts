// Standalone shared desks: local agent profiles with a PIN, one signed in at a time, on a real
// database file. Who clicked is whoever was signed in; a PIN is kept as a scrypt verifier only;
// wrong PINs wait; a locked desk records nothing; an existing desk's agent becomes its first profile
// with no attempt changing owner.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DeskError, type DeskHandlers } from '../../contract/index.ts';
import { dispatch } from '../../contract/dispatch.ts';
import { listAgentEvents, pinMatches, pinThrottle, pinVerifier, signInWithoutPin } from '../../db/agent-profiles.ts';
import { upsertClient } from '../../db/clients.ts';
import { openDatabase } from '../../db/connection.ts';
import { createDeskHandlers } from '../../db/desk.ts';
import { writeTransaction } from '../../db/tx.ts';
import { MovableClock, openTestDesk, tempDir, type TestDesk } from '../helpers/local-db.ts';

const desks: TestDesk[] = [];
afterEach(async () => {
  for (const d of desks.splice(0)) await d.cleanup();
});

async function freshDesk(): Promise<TestDesk> {
  const t = await openTestDesk({ agentName: null });
  desks.push(t);
  await writeTransaction(t.local.db, async (trx) => {
    for (const code of ['C-1', 'C-2']) {
      await upsertClient(trx, { code, name: `Client ${code}`, phones: [], email: null, city: null, address: null, extra: {} }, t.clock.now().toISOString());
    }
  });
  return t;
}

async function refusal(pending: unknown): Promise<DeskError> {
  const error = await Promise.resolve(pending).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeskError);
  return error as DeskError;
}

async function profileId(desk: DeskHandlers, name: string): Promise<string> {
  const found = (await desk.getAgentSession({})).profiles.find((p) => p.name === name);
  if (!found) throw new Error(`no profile ${name}`);
  return found.id;
}

describe('local agent profiles with a PIN', () => {
  it('keeps a scrypt verifier, never the PIN', async () => {
    const verifier = await pinVerifier('4821');
    expect(verifier).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(verifier).not.toContain('4821');
    expect(await pinMatches('4821', verifier)).toBe(true);
    expect(await pinMatches('4822', verifier)).toBe(false);
    expect(await pinVerifier('4821')).not.toBe(verifier); // salted
  });

  it('two agents alternating on one desk: each attempt names who was signed in, and each undoes only their own', async () => {
    const t = await freshDesk();
    const { desk } = t;
    expect(await desk.getAgentSession({})).toEqual({ profiles: [], locked: false, lockAfterMinutes: 15 });

    const awa = await desk.createAgentProfile({ name: 'Awa Diallo', pin: '1234' });
    expect(awa.agent?.name).toBe('Awa Diallo');
    expect(awa.agent?.id).toMatch(/^local:/);
    const first = await desk.recordAttempt({ clientCode: 'C-1', status: 'success' });

    await desk.signOut({});
    expect((await desk.getSettings({})).agent).toBeNull();
    expect((await refusal(desk.recordAttempt({ clientCode: 'C-1', status: 'failure' }))).code).toBe('agent.notSet');
    const marc = await desk.createAgentProfile({ name: 'Marc Petit', pin: '987654' });
    expect(marc.agent?.id).not.toBe(awa.agent?.id);
    const second = await desk.recordAttempt({ clientCode: 'C-2', status: 'failure' });
    // Marc cannot take back Awa's attempt.
    expect((await refusal(desk.undoAttempt({ attemptId: first.attempt.id }))).code).toBe('attempt.notAuthor');
    expect((await refusal(desk.voidAttempt({ attemptId: first.attempt.id, reason: 'erreur' }))).code).toBe('attempt.notAuthor');

    // Back to Awa, with her PIN.
    await desk.signIn({ profileId: awa.agent!.id, pin: '1234' });
    const third = await desk.recordAttempt({ clientCode: 'C-2', status: 'success' });
    expect((await refusal(desk.voidAttempt({ attemptId: second.attempt.id, reason: 'erreur' }))).code).toBe('attempt.notAuthor');
    await desk.voidAttempt({ attemptId: first.attempt.id, reason: 'doublon' });

    const owners = await t.local.db.selectFrom('attempts').select(['id', 'agent_id', 'agent_name']).orderBy('occurred_at').orderBy('id').execute();
    expect(owners.map((o) => [o.id, o.agent_name])).toEqual([
      [first.attempt.id, 'Awa Diallo'],
      [second.attempt.id, 'Marc Petit'],
      [third.attempt.id, 'Awa Diallo'],
    ]);
    expect(new Set(owners.map((o) => o.agent_id)).size).toBe(2);

    // Nobody can slip in as another agent by a rename, and a name is one agent.
    expect((await refusal(desk.updateSettings({ agentName: 'Marc Petit' }))).code).toBe('agent.nameTaken');
    expect((await refusal(desk.createAgentProfile({ name: 'marc petit', pin: '1111' }))).code).toBe('agent.nameTaken');
    const renamed = await desk.updateSettings({ agentName: 'Awa Diallo-Sow' });
    expect(renamed.agent).toEqual({ id: awa.agent!.id, name: 'Awa Diallo-Sow' });
    await desk.signOut({});
    expect((await refusal(desk.updateSettings({ agentName: 'Quelqu’un' }))).code).toBe('agent.signInRequired');

    const verifiers = await t.local.db.selectFrom('agent_profiles').select('pin_verifier').execute();
    for (const v of verifiers) expect(v.pin_verifier).not.toMatch(/1234|987654/);

    const events = (await listAgentEvents(t.local.db)).reverse().map((e) => `${e.kind}:${e.agentName}`);
    expect(events).toEqual(['signIn:Awa Diallo', 'signOut:Awa Diallo', 'signIn:Marc Petit', 'signOut:Marc Petit', 'signIn:Awa Diallo', 'signOut:Awa Diallo-Sow']);
  });

  it('throttles wrong PINs per profile, in the base (a restart does not reset the wait)', async () => {
    const t = await freshDesk();
    const { desk, clock } = t;
    const awa = (await desk.createAgentProfile({ name: 'Awa Diallo', pin: '1234' })).agent!;
    await desk.signOut({});

    for (let i = 1; i < pinThrottle.freeTries; i++) {
      expect((await refusal(desk.signIn({ profileId: awa.id, pin: '0000' }))).code).toBe('agent.pinWrong');
    }
    const throttled = await refusal(desk.signIn({ profileId: awa.id, pin: '0000' }));
    expect(throttled.code).toBe('agent.pinThrottled');
    expect(throttled.params).toEqual({ seconds: pinThrottle.firstWaitMs / 1000 });
    expect(throttled.message).toContain('30 s');
    // Even the right PIN waits.
    expect((await refusal(desk.signIn({ profileId: awa.id, pin: '1234' }))).code).toBe('agent.pinThrottled');

    // A new handler over the same file (the app restarted) still waits.
    const again = createDeskHandlers(t.local, { clock });
    clock.advance(10_000);
    expect((await refusal(again.signIn({ profileId: awa.id, pin: '1234' }))).params).toEqual({ seconds: 20 });
    clock.advance(20_000);
    // One more wrong PIN after the wait doubles it.
    expect((await refusal(again.signIn({ profileId: awa.id, pin: '9999' }))).params).toEqual({ seconds: 60 });
    clock.advance(60_000);
    expect((await again.signIn({ profileId: awa.id, pin: '1234' })).agent?.id).toBe(awa.id);
    // A success clears the count.
    await again.signOut({});
    expect((await refusal(again.signIn({ profileId: awa.id, pin: '0000' }))).code).toBe('agent.pinWrong');

    const failed = (await listAgentEvents(t.local.db)).filter((e) => e.kind === 'signInFailed');
    expect(failed).toHaveLength(pinThrottle.freeTries + 2);
  });

  it('parallel wrong PINs are counted one by one', async () => {
    const t = await freshDesk();
    const awa = (await t.desk.createAgentProfile({ name: 'Awa Diallo', pin: '1234' })).agent!;
    await t.desk.signOut({});
    const answers = await Promise.allSettled(Array.from({ length: 8 }, () => t.desk.signIn({ profileId: awa.id, pin: '0000' })));
    const codes = answers.map((a) => (a.status === 'rejected' ? (a.reason as DeskError).code : 'ok'));
    expect(codes.filter((c) => c === 'agent.pinWrong')).toHaveLength(pinThrottle.freeTries - 1);
    expect(codes.filter((c) => c === 'agent.pinThrottled')).toHaveLength(8 - (pinThrottle.freeTries - 1));
    const row = await t.local.db.selectFrom('agent_profiles').select('failed_sign_ins').executeTakeFirstOrThrow();
    expect(row.failed_sign_ins).toBe(pinThrottle.freeTries);
  });

  it('a locked session records nothing until its agent signs in again; another agent may take over', async () => {
    const t = await freshDesk();
    const { desk } = t;
    const awa = (await desk.createAgentProfile({ name: 'Awa Diallo', pin: '1234' })).agent!;
    await desk.updateSettings({ lockAfterMinutes: 5 });
    expect(await desk.lockSession({})).toMatchObject({ locked: true, lockAfterMinutes: 5 });
    expect((await refusal(desk.recordAttempt({ clientCode: 'C-1', status: 'success' }))).code).toBe('session.locked');
    expect((await refusal(desk.signIn({ profileId: awa.id, pin: '4321' }))).code).toBe('agent.pinWrong');
    await desk.signIn({ profileId: awa.id, pin: '1234' });
    expect((await desk.getAgentSession({})).locked).toBe(false);
    await desk.recordAttempt({ clientCode: 'C-1', status: 'success' });

    await desk.lockSession({});
    await desk.lockSession({}); // already locked: one journal row
    await desk.signOut({});
    await desk.createAgentProfile({ name: 'Marc Petit', pin: '5555' });
    expect((await desk.getAgentSession({})).locked).toBe(false);
    const kinds = (await listAgentEvents(t.local.db)).reverse().map((e) => `${e.kind}:${e.agentName}`);
    expect(kinds).toEqual(['signIn:Awa Diallo', 'lock:Awa Diallo', 'signInFailed:Awa Diallo', 'unlock:Awa Diallo', 'lock:Awa Diallo', 'signOut:Awa Diallo', 'signIn:Marc Petit']);
  });

  it('a profile without a PIN (demo, --agent) chooses one, confirmed, at its next sign-in', async () => {
    const t = await freshDesk();
    await signInWithoutPin(t.local.db, 'Démo', t.clock.now());
    const demo = (await t.desk.getSettings({})).agent!;
    expect((await t.desk.getAgentSession({})).profiles).toEqual([{ id: demo.id, name: 'Démo', hasPin: false }]);
    await t.desk.signOut({});
    expect((await refusal(t.desk.signIn({ profileId: demo.id, pin: '2468' }))).code).toBe('agent.pinToChoose');
    expect((await refusal(t.desk.signIn({ profileId: demo.id, pin: '2468', confirmPin: '2469' }))).code).toBe('agent.pinMismatch');
    await t.desk.signIn({ profileId: demo.id, pin: '2468', confirmPin: '2468' });
    await t.desk.signOut({});
    expect((await refusal(t.desk.signIn({ profileId: demo.id, pin: '1357', confirmPin: '1357' }))).code).toBe('agent.pinWrong');
    expect((await t.desk.signIn({ profileId: demo.id, pin: '2468' })).agent?.id).toBe(demo.id);
    // The same name again signs that profile in, it does not make a second one.
    await signInWithoutPin(t.local.db, 'démo', t.clock.now());
    expect((await t.desk.getAgentSession({})).profiles).toHaveLength(1);
  });

  it('refuses a PIN that is not 4 to 12 digits, without echoing it', async () => {
    const t = await freshDesk();
    for (const pin of ['123', '1234567890123', '12a4', ' 1234']) {
      const answer = await dispatch(t.desk, 'createAgentProfile', { name: 'Awa', pin });
      expect(answer.ok).toBe(false);
      if (!answer.ok) {
        expect(answer.error.code).toBe('input.invalid');
        expect(JSON.stringify(answer.error)).not.toContain(pin.trim());
      }
    }
  });
});

// The desk as it was before profiles (main at this commit), run from git, then opened by this version.
const beforeProfiles = '39bcdb9';
const root = resolve(import.meta.dirname, '../..');

function beforeProfilesDir(): string | null {
  try {
    execFileSync('git', ['cat-file', '-e', `${beforeProfiles}^{commit}`], { cwd: root, stdio: 'ignore' });
  } catch {
    return null;
  }
  const dir = join(tmpdir(), `desk-release-${beforeProfiles}`);
  if (!existsSync(join(dir, 'db', 'desk.ts'))) {
    mkdirSync(dir, { recursive: true });
    const archive = execFileSync('git', ['archive', beforeProfiles, 'contract', 'db', 'package.json'], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
    execFileSync('tar', ['-x', '-C', dir], { input: archive });
  }
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

describe('migration of a desk from before profiles', () => {
  const old = beforeProfilesDir();
  if (!old) console.warn(`[skip] migration from before profiles: commit ${beforeProfiles} is not in this clone (fetch the full history)`);
  it.skipIf(!old)('its agent becomes the first profile and no attempt changes owner', async () => {
    const dir = tempDir('desk-profiles-migration-');
    const file = join(dir, 'desk.db');
    try {
      const oldConnection = (await import(pathToFileURL(join(old!, 'db', 'connection.ts')).href)) as typeof import('../../db/connection.ts');
      const oldDesk = (await import(pathToFileURL(join(old!, 'db', 'desk.ts')).href)) as typeof import('../../db/desk.ts');
      const oldClients = (await import(pathToFileURL(join(old!, 'db', 'clients.ts')).href)) as typeof import('../../db/clients.ts');
      const oldTx = (await import(pathToFileURL(join(old!, 'db', 'tx.ts')).href)) as typeof import('../../db/tx.ts');
      const clock = new MovableClock();
      const before = await oldConnection.openDatabase(file);
      const desk = oldDesk.createDeskHandlers(before, { clock });
      await desk.updateSettings({ agentName: 'Awa Diallo' });
      await oldTx.writeTransaction(before.db, (trx) =>
        oldClients.upsertClient(trx, { code: 'C-1', name: 'Client', phones: [], email: null, city: null, address: null, extra: {} }, clock.now().toISOString()),
      );
      const recorded = await desk.recordAttempt({ clientCode: 'C-1', status: 'success' });
      const agent = (await desk.getSettings({})).agent!;
      const attemptsBefore = await before.db.selectFrom('attempts').selectAll().execute();
      await before.close();

      const after = await openDatabase(file);
      try {
        const now = createDeskHandlers(after, { clock });
        // Still signed in: the shift goes on, and their attempt is still theirs to undo.
        expect((await now.getSettings({})).agent).toEqual(agent);
        expect((await now.getAgentSession({})).profiles).toEqual([{ id: agent.id, name: 'Awa Diallo', hasPin: false }]);
        expect(await after.db.selectFrom('attempts').selectAll().execute()).toEqual(attemptsBefore);
        await now.undoAttempt({ attemptId: recorded.attempt.id });
        // At the next sign-in they choose their PIN.
        await now.signOut({});
        await now.signIn({ profileId: agent.id, pin: '1234', confirmPin: '1234' });
        expect((await now.getSettings({})).agent).toEqual(agent);
      } finally {
        await after.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
