// Every installer target of electron-builder.yml, as far as this machine can go: electron-builder's
// own schema validation for the whole file, then each target run for real with a stand-in Electron
// binary. Building a deb, an AppImage or an NSIS installer needs tools electron-builder downloads
// from GitHub (fpm, appimagetool, NSIS), and a dmg needs macOS: here a target passes when
// electron-builder accepted its configuration and stopped only for such a reason, which the test
// prints. (Before the homepage was set, the deb stopped at "Please specify project homepage".)

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIdentity, BuildIdentityError } from '../../scripts/build-identity.ts';

const root = resolve(import.meta.dirname, '..', '..');
const require = createRequire(join(root, 'package.json'));
const builderRequire = createRequire(require.resolve('app-builder-lib/package.json'));
const builderConfig = builderRequire('./out/util/config/config.js') as {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: object | null): Promise<Record<string, any>>;
  validateConfiguration(config: object, debugLogger: { isEnabled: boolean; add(): void }): Promise<void>;
};

const built = existsSync(join(root, 'out', 'main', 'index.js')) && existsSync(join(root, 'out', 'THIRD-PARTY-NOTICES.txt'));
const skipReason = built ? null : 'SKIPPED: out/ not built (or no THIRD-PARTY-NOTICES.txt); run npm run build first';
if (skipReason) console.warn(`[electron-builder-targets] ${skipReason}`);

/** What stops a target here without saying anything about its configuration. */
const unavailableHere =
  /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|unable to download|supported only on macOS|wine is required|Invalid DataView length|corrupted Electron dist/i;
/** The stand-in is a shell script: no PE header for Windows' resource editing, no Electron.app for a Mac. */
const becauseOfStandIn = /Invalid DataView length|corrupted Electron dist/i;
/** An organisation's build: what scripts/dist.ts passes from its environment. */
const organisation = {
  DESK_HOMEPAGE: 'https://intranet.example.fr/notification-desk',
  DESK_MAINTAINER: 'Service informatique <it-desk@example.fr>',
  DESK_VENDOR: 'Example SA',
};
const configurationProblem = /Invalid configuration|Please specify|is missed in the package\.json|cannot expand pattern|InvalidConfigurationError/i;

describe('electron-builder.yml', () => {
  it('passes electron-builder’s own schema validation, every platform included', async () => {
    const config = await builderConfig.getConfig(root, join(root, 'electron-builder.yml'), null);
    await expect(builderConfig.validateConfiguration(config, { isEnabled: false, add: () => undefined })).resolves.toBeUndefined();
    expect(Object.keys(config)).toEqual(expect.arrayContaining(['win', 'nsis', 'linux', 'deb', 'mac', 'electronFuses', 'publish']));
    expect(config.electronFuses.grantFileProtocolExtraPrivileges).toBe(false);
  });

  it('takes the organisation’s homepage and maintainer from the build environment, and still validates', async () => {
    const identity = buildIdentity(organisation);
    expect(identity.warnings).toEqual([]);
    expect(identity.config).toEqual({
      extraMetadata: { homepage: 'https://intranet.example.fr/notification-desk', author: { name: 'Service informatique', email: 'it-desk@example.fr' } },
      linux: { maintainer: 'Service informatique <it-desk@example.fr>', vendor: 'Example SA' },
    });
    const config = await builderConfig.getConfig(root, join(root, 'electron-builder.yml'), identity.config);
    await expect(builderConfig.validateConfiguration(config, { isEnabled: false, add: () => undefined })).resolves.toBeUndefined();
    expect(config.linux.maintainer).toBe('Service informatique <it-desk@example.fr>');
    expect(config.extraMetadata.homepage).toBe('https://intranet.example.fr/notification-desk');
    // Without them: the placeholders, said.
    expect(buildIdentity({}).warnings).toHaveLength(2);
    expect(buildIdentity({}).args).toEqual([]);
  });

  it('refuses an identity that would make a wrong package, before building', () => {
    expect(() => buildIdentity({ DESK_HOMEPAGE: 'http://intranet.example.fr/' })).toThrow(BuildIdentityError);
    expect(() => buildIdentity({ DESK_HOMEPAGE: 'intranet' })).toThrow(/not an address/);
    expect(() => buildIdentity({ DESK_MAINTAINER: 'it-desk@example.fr' })).toThrow(/Name <address@domain>/);
    expect(() => buildIdentity({ DESK_MAINTAINER: 'IT <nobody>' })).toThrow(BuildIdentityError);
    expect(() => buildIdentity({ DESK_VENDOR: 'A\nB' })).toThrow(BuildIdentityError);
  });

  it('has what the deb and the desktop entry need, and an icon for each platform', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(manifest.homepage).toMatch(/^https:\/\//);
    expect(manifest.author.email).toContain('@');
    const ico = readFileSync(join(root, 'build', 'icon.ico'));
    expect(ico.readUInt16LE(2)).toBe(1); // an icon resource
    expect(ico.readUInt16LE(4)).toBeGreaterThanOrEqual(5); // several sizes
    expect(readFileSync(join(root, 'build', 'icon.icns')).subarray(0, 4).toString('latin1')).toBe('icns');
    for (const size of [16, 32, 48, 128, 256, 512]) {
      const png = readFileSync(join(root, 'build', 'icons', `${size}x${size}.png`));
      expect(png.readUInt32BE(16), `${size}px`).toBe(size); // IHDR width
    }
  });
});

describe.skipIf(skipReason !== null)('each target, built with a stand-in Electron', () => {
  let work: string;
  let electronDist: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'desk-targets-'));
    electronDist = join(work, 'electron-dist');
    mkdirSync(electronDist, { recursive: true });
    // A script carrying Electron's fuse wire, so that flipping the fuses runs as on the real binary.
    const sentinel = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
    const binary = Buffer.concat([Buffer.from(`#!/bin/sh\nexit 0\n# ${sentinel}`), Buffer.from([1, 9]), Buffer.from('101100011\n')]);
    for (const name of ['electron', 'electron.exe']) {
      writeFileSync(join(electronDist, name), binary);
      chmodSync(join(electronDist, name), 0o755);
    }
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function build(args: string[]): Promise<{ status: number | null; output: string }> {
    return new Promise((done) => {
      const child = spawn(
        process.execPath,
        // With an organisation's identity, as `npm run dist` builds them (scripts/dist.ts).
        [
          require.resolve('electron-builder/cli.js'),
          ...args,
          '--publish',
          'never',
          ...buildIdentity(organisation).args,
          `-c.electronDist=${electronDist}`,
          `-c.directories.output=${join(work, args.join('-'))}`,
        ],
        { cwd: root, env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } },
      );
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
      child.on('close', (status) => {
        clearTimeout(timer);
        done({ status, output: output.replace(/\x1b\[[0-9;]*m/g, '') });
      });
    });
  }

  const targets = [
    ['deb', ['--linux', 'deb', '--x64'], 'deb'],
    ['AppImage', ['--linux', 'AppImage', '--x64'], 'AppImage'],
    ['NSIS (Windows)', ['--win', 'nsis', '--x64'], 'nsis'],
    ['dmg (macOS)', ['--mac', 'dmg', '--arm64'], 'dmg'],
  ] as const;
  // All at once: most of the time is electron-builder waiting on downloads it retries.
  let runs: Promise<{ status: number | null; output: string }[]>;
  beforeAll(() => {
    runs = Promise.all(targets.map(([, args]) => build([...args])));
  });

  for (const [index, [label, , target]] of targets.entries()) {
    it(`${label}: configuration accepted`, async () => {
      const { status, output } = (await runs)[index] as { status: number | null; output: string };
      expect(output, output.slice(-3000)).not.toMatch(configurationProblem);
      if (status === 0) return;
      expect(output, output.slice(-3000)).toMatch(unavailableHere);
      const reason = output.match(unavailableHere)?.[0];
      const reached = new RegExp(`building\\s+target=${target}`).test(output) ? `reached "building target=${target}"` : 'stopped before building';
      const why = becauseOfStandIn.test(output) ? 'the stand-in is not a real Electron binary' : 'a tool electron-builder downloads is out of reach';
      console.warn(`[electron-builder-targets] ${label}: NOT BUILT here (${reason}: ${why}); ${reached}, no configuration error`);
    }, 180_000);
  }
});
