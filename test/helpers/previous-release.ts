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
/** The release desks and servers run today (features, epoch, reasons, call-backs; no agent sign-in). */
export const lastLanding = 'cdb0a9d';

const root = resolve(import.meta.dirname, '../..');

/** null when the commit can be read; otherwise why not (a shallow clone), for the skip message. */
export function previousReleaseUnavailableReason(): string | null {
  try {
    for (const release of [previousRelease, lastLanding]) execFileSync('git', ['cat-file', '-e', `${release}^{commit}`], { cwd: root, stdio: 'ignore' });
    return null;
  } catch {
    const reason = `commits ${previousRelease} and ${lastLanding} (the earlier releases) are not both in this clone: fetch the full history`;
    if (process.env.CI) throw new Error(`${reason} (CI must run the compatibility tests)`);
    return reason;
  }
}

/** Extracts a release once per process and returns its folder. */
export function releaseDir(release: string = previousRelease): string {
  const dir = join(tmpdir(), `desk-release-${release}`);
  if (!existsSync(join(dir, 'server', 'index.ts'))) {
    mkdirSync(dir, { recursive: true });
    const archive = execFileSync('git', ['archive', release, 'contract', 'db', 'sync', 'server', 'test/helpers', 'package.json'], {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
    });
    execFileSync('tar', ['-x', '-C', dir], { input: archive });
  }
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

export async function importPrevious<T>(relativePath: string, release: string = previousRelease): Promise<T> {
  return (await import(pathToFileURL(join(releaseDir(release), relativePath)).href)) as T;
}
