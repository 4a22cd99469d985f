// Signing an agent in on a desk enrolled with a device code (issue 9), as the desk does it: online,
// POST /v1/sign-in to a real server (in-process, SQLite, loopback) then the desk's verifier and token
// written; offline, the desk's scrypt verifier alone. Its own server and desk database: the cost is
// dominated by the two scrypt derivations (server N=2^15, desk N=2^14), not by the base's size.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../db/connection.ts';
import { offlineSignIn, recordOnlineSignIn, saveSignInRules } from '../../db/agent-sign-in.ts';
import { setMeta } from '../../db/settings.ts';
import { signOut } from '../../db/agent-profiles.ts';
import { createAgentFromConsole, issueDeviceEnrolmentCode } from '../../server/console/agents.ts';
import { startServer } from '../../server/index.ts';
import { openServerDatabase } from '../../server/storage/database.ts';
import { exchangeEnrolmentCode, requestSignIn } from '../../sync/enrol.ts';
import { tempDir } from '../helpers/local-db.ts';
import type { BenchSection } from './sections.ts';

export const signInSection: BenchSection = {
  name: 'sign_in',
  description: 'agent sign-in on an enrolled desk: online (real server on SQLite, loopback, both scrypts) and offline (desk verifier alone); no target set by the project',
  ownDatabase: true,
  outsideRss: true,
  run: async (ctx) => {
    const dir = tempDir('bench-sign-in-');
    const server = await startServer({ db: join(dir, 'server.db'), signIn: { secretKind: 'pin', offlineDays: 14 } });
    const sdb = await openServerDatabase(join(dir, 'server.db'), { poolSize: 1, migrate: false });
    const local = await openDatabase(join(dir, 'desk.db'));
    try {
      const admin = { userId: 'bench', login: 'bench' };
      await createAgentFromConsole(sdb, { name: 'Awa Diallo', login: 'awa', secret: '246810' }, admin, 'pin');
      const { code } = await issueDeviceEnrolmentCode(sdb, admin);
      const enrolled = await exchangeEnrolmentCode(server.url, code, { deviceId: local.deviceId });
      if (enrolled.kind !== 'device') throw new Error('bench: a device code gave an agent answer');
      await setMeta(local.db, { sync_enrolment_kind: 'device' });
      await saveSignInRules(local.db, enrolled.signIn);
      const n = Math.max(5, Math.round(20 * ctx.scale));
      const online = await ctx.measure(
        'sign_in_online',
        n,
        async () => {
          const outcome = await requestSignIn(server.url, enrolled.deviceToken, { login: 'awa', secret: '246810' }, { deviceId: local.deviceId });
          if (!outcome.ok) throw new Error(`bench: sign-in refused (${outcome.unreachable ? outcome.details : outcome.error.code})`);
          await recordOnlineSignIn(local.db, { ...outcome.answer, sealedToken: outcome.answer.token, tokenStorage: 'plain' }, '246810', new Date());
          await signOut(local.db, new Date());
        },
        2,
      );
      const offline = await ctx.measure(
        'sign_in_offline',
        n,
        async () => {
          await offlineSignIn(local.db, { login: 'awa', secret: '246810' }, new Date());
          await signOut(local.db, new Date());
        },
        2,
      );
      return [online, offline];
    } finally {
      await local.close();
      await sdb.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
