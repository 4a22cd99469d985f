// The previous release's code, taken from git as it shipped, to run beside this one: its server and
// its desk (database, sync engine) are what the compatibility tests meet. Nothing of it is copied
// into the tree; `git archive` extracts it into a temporary folder that shares our node_modules.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The last release before the protocol could grow (no features, no epoch, strict records). */
export const previousRelease = '3cebbf8';

const root = resolve(import.meta.dirname, '../..');

/** null when the commit can be read; otherwise why not (a shallow clone), for the skip message. */
export function previousReleaseUnavailableReason(): string | null {
  try {
    execFileSync('git', ['cat-file', '-e', `${previousRelease}^{commit}`], { cwd: root, stdio: 'ignore' });
    return null;
  } catch {
    const reason = `commit ${previousRelease} (the previous release) is not in this clone: fetch the full history`;
    if (process.env.CI) throw new Error(`${reason} (CI must run the compatibility tests)`);
    return reason;
  }
}

/** Extracts the previous release once per process and returns its folder. */
export function previousReleaseDir(): string {
  const dir = join(tmpdir(), `desk-release-${previousRelease}`);
  if (!existsSync(join(dir, 'server', 'index.ts'))) {
    mkdirSync(dir, { recursive: true });
    const archive = execFileSync('git', ['archive', previousRelease, 'contract', 'db', 'sync', 'server', 'test/helpers', 'package.json'], {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
    });
    execFileSync('tar', ['-x', '-C', dir], { input: archive });
  }
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

export async function importPrevious<T>(relativePath: string): Promise<T> {
  return (await import(pathToFileURL(join(previousReleaseDir(), relativePath)).href)) as T;
}
