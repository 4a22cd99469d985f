// Updates from a place the organisation controls (the policy's `updateUrl`: a folder of release files
// on the central server or any static host, electron-updater's "generic" provider). Checked a little
// after start and then every day; a newer release is downloaded in the background and verified by
// electron-updater (sha512 of latest.yml, and on Windows the installer's Authenticode publisher when
// the build is signed); it is installed when the desk quits, so it runs at the next start.
// Never in the middle of a call (main/call-activity.ts): the notice waits until the agent is between
// calls, and a quit while busy keeps the update for the quit after.

import type { AppUpdater, UpdateInfo } from 'electron-updater';
import type { Settings } from '../contract/model.ts';
import { assertTransportAllowed } from '../sync/transport.ts';
import type { CallActivity } from './call-activity.ts';
import type { DeskLog } from './log.ts';
import type { Policy } from './policy.ts';

/** What of electron-updater's AppUpdater the desk uses (so a test can hand it one built under Node). */
export type DeskUpdater = Pick<AppUpdater, 'checkForUpdates' | 'setFeedURL' | 'on' | 'autoDownload' | 'autoInstallOnAppQuit' | 'allowDowngrade' | 'allowPrerelease' | 'logger'>;

export const updateTiming = {
  /** After start, so that the first minute belongs to the agent's page and the database. */
  firstCheckMs: 60_000,
  everyMs: 24 * 60 * 60_000,
  /** How often a ready update looks again for a moment between calls to say so. */
  idleRetryMs: 30_000,
};

export type UpdateFeed = { on: true; url: string } | { on: false; reason: string; problem: boolean };

/** Whether the desk looks for updates, and where: off unless the site names a place. */
export function updateFeed(policy: Policy, isPackaged: boolean): UpdateFeed {
  if (policy.autoUpdate === false) return { on: false, reason: 'off by policy (autoUpdate: false)', problem: false };
  if (!policy.updateUrl) return { on: false, reason: 'no updateUrl in the policy or on the command line', problem: false };
  try {
    // The same rule as the sync server: releases are not fetched over plain http from another host.
    assertTransportAllowed(policy.updateUrl, policy.allowPlainHttp === true);
  } catch {
    return { on: false, reason: `updateUrl refused: plain http:// to another host (${new URL(policy.updateUrl).origin}) needs allowPlainHttp`, problem: true };
  }
  if (!isPackaged) return { on: false, reason: 'unpackaged app (electron-updater needs a packaged build)', problem: false };
  return { on: true, url: policy.updateUrl.endsWith('/') ? policy.updateUrl : `${policy.updateUrl}/` };
}

export function updateReadyText(locale: Settings['locale']): { title: string; body: string } {
  return locale === 'en'
    ? { title: 'Notification Desk', body: 'Update ready: it will be installed at the next start' }
    : { title: 'Notification Desk', body: 'Mise à jour prête : elle s’installera au prochain démarrage' };
}

export interface UpdateState {
  /** Version downloaded and verified, waiting for a quit to be installed. */
  ready: string | null;
  lastCheck: { at: string; outcome: 'up to date' | 'available' | 'error'; version?: string | undefined; error?: string | undefined } | null;
}

export interface AutoUpdates {
  /** One check now (the scheduled ones call it too). Resolves when the check and any download end. */
  checkNow(): Promise<void>;
  /** Called when the desk starts to quit: an install waits for the next quit while the agent is busy. */
  beforeQuit(): void;
  state(): UpdateState;
  stop(): void;
}

export interface AutoUpdateOptions {
  updater: DeskUpdater;
  feedUrl: string;
  log: DeskLog;
  activity: CallActivity;
  locale: () => Settings['locale'];
  /** The quiet notice (a silent system notification in the app). */
  notify: (notice: { title: string; body: string }) => void;
  timing?: Partial<typeof updateTiming>;
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${typeof code === 'string' ? `${code}: ` : ''}${error.message.split('\n', 1)[0]}`;
  }
  return String(error);
}

export function startAutoUpdates(options: AutoUpdateOptions): AutoUpdates {
  const { updater, log, activity } = options;
  const timing = { ...updateTiming, ...options.timing };
  const state: UpdateState = { ready: null, lastCheck: null };
  updater.logger = {
    info: (message?: unknown) => log.debug(`updater: ${String(message)}`),
    warn: (message?: unknown) => log.warn(`updater: ${String(message)}`),
    // Errors reach the log once, through the 'error' listener below, with their code.
    error: (message?: unknown) => log.debug(`updater: ${String(message)}`),
    debug: (message: string) => log.debug(`updater: ${message}`),
  };
  updater.autoDownload = true;
  updater.autoInstallOnAppQuit = true;
  updater.allowDowngrade = false;
  updater.allowPrerelease = false;
  updater.setFeedURL({ provider: 'generic', url: options.feedUrl });
  const origin = new URL(options.feedUrl).origin;

  let announced: string | null = null;
  let idleTimer: ReturnType<typeof setTimeout> | null = null;
  const announceWhenIdle = () => {
    idleTimer = null;
    if (!state.ready || announced === state.ready) return;
    if (activity.busy()) {
      idleTimer = setTimeout(announceWhenIdle, timing.idleRetryMs);
      idleTimer.unref?.();
      return;
    }
    announced = state.ready;
    options.notify(updateReadyText(options.locale()));
  };

  updater.on('update-downloaded', (info: UpdateInfo) => {
    state.ready = info.version;
    log.info(`update: ${info.version} downloaded and verified; installs when the desk quits`);
    announceWhenIdle();
  });
  updater.on('error', (error: Error) => log.warn(`update: ${errorText(error)}`));

  let running: Promise<void> | null = null;
  const checkNow = (): Promise<void> => {
    running ??= (async () => {
      const at = new Date().toISOString();
      try {
        log.info(`update: checking ${origin}`);
        const result = await updater.checkForUpdates();
        if (!result) {
          state.lastCheck = { at, outcome: 'error', error: 'updater inactive' };
          return;
        }
        if (!result.isUpdateAvailable) {
          state.lastCheck = { at, outcome: 'up to date', version: result.updateInfo.version };
          log.info(`update: up to date (latest ${result.updateInfo.version})`);
          return;
        }
        state.lastCheck = { at, outcome: 'available', version: result.updateInfo.version };
        log.info(`update: ${result.updateInfo.version} available; downloading in the background`);
        await result.downloadPromise;
      } catch (error) {
        // Logged by the 'error' listener; a failed check is tried again the next day.
        state.lastCheck = { at, outcome: 'error', error: errorText(error) };
      }
    })().finally(() => {
      running = null;
    });
    return running;
  };

  const first = setTimeout(() => void checkNow(), timing.firstCheckMs);
  const daily = setInterval(() => void checkNow(), timing.everyMs);
  first.unref?.();
  daily.unref?.();

  return {
    checkNow,
    beforeQuit() {
      if (!state.ready) return;
      const busy = activity.reason();
      updater.autoInstallOnAppQuit = busy === null;
      if (busy) log.info(`update: ${state.ready} not installed at this quit (${busy}); it installs at the next one`);
      else log.info(`update: installing ${state.ready} as the desk quits`);
    },
    state: () => ({ ...state }),
    stop() {
      clearTimeout(first);
      clearInterval(daily);
      if (idleTimer) clearTimeout(idleTimer);
    },
  };
}
