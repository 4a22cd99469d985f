// A release feed as electron-builder publishes it, served by a local HTTP server, and electron-updater's
// NsisUpdater made to run under Node: an AppAdapter standing in for Electron's `app`, and
// electron-builder's Node HTTP client (with electron-updater's own `download`) for Electron's
// net.request. Used by test/integration/electron-updater.test.ts and electron-updates-wiring.test.ts.

import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeHttpExecutor } from 'builder-util';
import { configureRequestOptions, configureRequestUrl, type DownloadOptions } from 'builder-util-runtime';
import { NsisUpdater } from 'electron-updater';
import type { AppAdapter } from 'electron-updater/out/AppAdapter.js';

const sha512 = (data: Buffer) => createHash('sha512').update(data).digest('base64');

/**
 * The channel file the updater asks for on this OS: latest.yml on Windows, latest-linux.yml here
 * (electron-builder writes both from the same fields).
 */
export const channelFile = process.platform === 'win32' ? 'latest.yml' : process.platform === 'darwin' ? 'latest-mac.yml' : 'latest-linux.yml';

/** A folder as electron-builder publishes it: the channel file and the installer it names. */
function writeRelease(dir: string, version: string, installer: Buffer, announcedSha512 = sha512(installer)): void {
  mkdirSync(dir, { recursive: true });
  const file = `Notification Desk-Setup-${version}.exe`;
  writeFileSync(join(dir, file), installer);
  writeFileSync(
    join(dir, channelFile),
    [
      `version: ${version}`,
      'files:',
      `  - url: ${file}`,
      `    sha512: ${announcedSha512}`,
      `    size: ${installer.length}`,
      `path: ${file}`,
      `sha512: ${announcedSha512}`,
      "releaseDate: '2026-11-30T10:00:00.000Z'",
      '',
    ].join('\n'),
  );
}

/**
 * electron-builder's Node executor plus the `download` that electron-updater's ElectronHttpExecutor
 * adds, written the same way (same request options, same doDownload): the sha512 check is
 * builder-util-runtime's doDownload/DigestTransform, shared by both.
 */
class NodeUpdaterHttpExecutor extends NodeHttpExecutor {
  download(url: URL, destination: string, options: DownloadOptions & { cancellationToken: { createPromise: Function } }): Promise<string> {
    return options.cancellationToken.createPromise((resolve: (value: string) => void, reject: (error: Error) => void, onCancel: (callback: () => void) => void) => {
      const requestOptions = { headers: options.headers || undefined, redirect: 'manual' } as Record<string, unknown>;
      configureRequestUrl(url, requestOptions);
      configureRequestOptions(requestOptions);
      this.doDownload(requestOptions, { destination, options, onCancel, callback: (error) => (error == null ? resolve(destination) : reject(error)), responseHandler: null }, 0);
    });
  }
}

export interface ReleaseFeed {
  /** http://127.0.0.1:port */
  base: string;
  root: string;
  /** Paths asked, without their query. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * Folders under one server: good/ (0.2.0), tampered/ (0.2.0 whose installer is not the one its channel
 * file's sha512 names), same/ (0.1.0, the running version); anything else is a 404.
 */
export async function serveReleaseFeed(): Promise<ReleaseFeed> {
  const root = mkdtempSync(join(tmpdir(), 'desk-updater-'));
  const good = randomBytes(256 * 1024);
  writeRelease(join(root, 'feed', 'good'), '0.2.0', good);
  // Tampered: the channel file announces the genuine installer's hash, the file served is another one.
  writeRelease(join(root, 'feed', 'tampered'), '0.2.0', good);
  writeFileSync(join(root, 'feed', 'tampered', 'Notification Desk-Setup-0.2.0.exe'), Buffer.concat([good.subarray(0, 1000), Buffer.from('evil'), good.subarray(1004)]));
  writeRelease(join(root, 'feed', 'same'), '0.1.0', randomBytes(1024));
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent((request.url ?? '/').split('?')[0]!);
    requests.push(path);
    readFile(join(root, 'feed', path)).then(
      (body) => {
        response.writeHead(200, { 'Content-Length': body.length, 'Content-Type': path.endsWith('.yml') ? 'text/yaml' : 'application/octet-stream' });
        response.end(body);
      },
      () => {
        response.writeHead(404);
        response.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    root,
    requests,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export type FakeUpdaterApp = AppAdapter & { quitHandlers: ((code: number) => void)[] };

/** Electron's app as electron-updater sees it, for a packaged desk at 0.1.0. */
export function fakeUpdaterApp(dir: string): FakeUpdaterApp {
  mkdirSync(join(dir, 'resources'), { recursive: true });
  // electron-builder writes this next to app.asar from electron-builder.yml's `publish`.
  writeFileSync(join(dir, 'resources', 'app-update.yml'), 'provider: generic\nurl: https://updates.notification-desk.invalid/\nupdaterCacheDirName: notification-desk-updater\n');
  const quitHandlers: ((code: number) => void)[] = [];
  return {
    version: '0.1.0',
    name: 'notification-desk',
    isPackaged: true,
    appUpdateConfigPath: join(dir, 'resources', 'app-update.yml'),
    userDataPath: join(dir, 'userData'),
    baseCachePath: join(dir, 'cache'),
    whenReady: () => Promise.resolve(),
    relaunch: () => undefined,
    quit: () => undefined,
    onQuit: (handler) => quitHandlers.push(handler),
    quitHandlers,
  };
}

/** electron-updater's Windows updater, on Node. */
export function nodeNsisUpdater(app: AppAdapter): NsisUpdater {
  const updater = new NsisUpdater(null, app);
  // What Electron's net.request does in the app, Node's http does here.
  (updater as unknown as { httpExecutor: unknown }).httpExecutor = new NodeUpdaterHttpExecutor();
  return updater;
}
