// `npm pack` in server/ (prepack) bundles the command line and the library with the contract and
// database code they import from the rest of the repository, so that the package stands alone;
// its npm dependencies stay outside the bundle and come from `dependencies` at install.

import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const here = import.meta.dirname;
const outdir = join(here, 'dist');
rmSync(outdir, { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  packages: 'external',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
};

await build({ ...common, entryPoints: [join(here, 'cli.ts')], outfile: join(outdir, 'cli.js'), banner: { js: '#!/usr/bin/env node' } });
await build({ ...common, entryPoints: [join(here, 'index.ts')], outfile: join(outdir, 'index.js') });
// The console reads its stylesheet and icon next to the code that serves them (console/plugin.ts).
cpSync(join(here, 'console', 'assets'), join(outdir, 'assets'), { recursive: true });
