// `npm run dist [-- electron-builder arguments]`: electron-builder with the organisation's identity
// (scripts/build-identity.ts) and never a publish: release files are copied to the update folder by
// IT (docs/deploy-desk.md, "Updates").

import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { buildIdentity, BuildIdentityError } from './build-identity.ts';

const require = createRequire(import.meta.url);

try {
  const identity = buildIdentity(process.env);
  for (const warning of identity.warnings) console.warn(`[dist] ${warning}`);
  const result = spawnSync(process.execPath, [require.resolve('electron-builder/cli.js'), ...process.argv.slice(2), '--publish', 'never', ...identity.args], {
    stdio: 'inherit',
  });
  process.exit(result.status ?? 1);
} catch (error) {
  if (error instanceof BuildIdentityError) {
    console.error(`[dist] ${error.message}`);
    process.exit(2);
  }
  throw error;
}
