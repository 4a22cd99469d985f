// Host of the sync worker, run by the database worker (db/database-worker.ts): starts the sync
// thread, answers the UI's sync operations over messages, keeps the access token sealed with the OS
// keychain (ctx.safeStorage: Electron's, reached through main, which alone may call it) and relays
// the worker's state to the window. Tests run it in plain Node with the real worker. Without a
// server the desk works on its own.

import { Worker } from 'node:worker_threads';
import { DeskError, type SyncSettingsView, type SyncState } from '../contract/index.ts';
import type { LocalDatabase } from '../db/connection.ts';
import type { EmitEvent, SyncControl } from '../db/desk.ts';
import { countOutbox } from '../db/outbox.ts';
import { clearSyncConfig, getLastSyncAt, readSyncConfig, type StoredSyncConfig } from '../db/sync-meta.ts';
import { writeTransaction } from '../db/tx.ts';
import { exchangeEnrolmentCode, fetchTokenAgent, requestSignIn, saveDeviceEnrolment, saveEnrolment } from '../sync/enrol.ts';
import { deviceSignInRules, lockedOnLogin, offlineSignIn, recordFailedSignIn, recordOnlineSignIn } from '../db/agent-sign-in.ts';
import { normaliseLogin } from '../contract/sign-in.ts';
import type { SchedulerTiming, SyncTarget } from '../sync/scheduler.ts';
import type { MeResponse } from '../contract/sync-protocol.ts';
import type { HostMessage, WorkerMessage, WorkerStartData } from '../sync/worker-messages.ts';
import { environmentProxyResolver, fetchAlong, type ProxyResolver } from '../sync/proxy.ts';

export interface SyncHostContext {
  local: LocalDatabase;
  userDataDir: string;
  emit: EmitEvent;
  safeStorage: Keychain;
  /** The route to an address through the system's proxy (main's session.resolveProxy); default: the environment's. */
  resolveProxy?: ProxyResolver;
}

/** Electron's safeStorage, or main's answers about it over the database worker's channel. */
export interface Keychain {
  isEncryptionAvailable(): boolean | Promise<boolean>;
  encryptString(plain: string): Buffer | Uint8Array | Promise<Buffer | Uint8Array>;
  decryptString(sealed: Buffer): string | Promise<string>;
}

export interface SyncHost {
  control: SyncControl;
  /** Electron's online/offline events: back online retries at once instead of on the backoff. */
  setOnline(online: boolean): void;
  stop(): Promise<void>;
}

export interface SyncHostOptions {
  timing?: Partial<SchedulerTiming>;
  /** For enrolment and sign-in requests, instead of fetching along the system's proxy (tests). */
  fetch?: typeof fetch;
  workerUrl?: URL;
  /** app.getVersion(): told to the server with pushes (device reports). */
  appVersion?: string;
  /** Site policy: plain http:// to another machine allowed (sync/transport.ts). */
  allowPlainHttp?: boolean;
}

/** Built: next to main's bundle. From source (tests): the TypeScript entry, run by Node directly. */
function defaultWorkerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('./worker.ts', here) : new URL('./sync-worker.js', here);
}

const stopTimeoutMs = 10_000;
const restartDelayMs = 5_000;
/** A PAC script may change with the network (VPN, office, home): the route is asked again this often. */
const proxyRefreshMs = 10 * 60_000;
/** A PAC script that does not answer must not hold an enrolment: the request goes DIRECT. */
const proxyResolveTimeoutMs = 5_000;

export async function startSyncHost(ctx: SyncHostContext, options: SyncHostOptions = {}): Promise<SyncHost> {
  const { local } = ctx;

  async function seal(token: string): Promise<Pick<StoredSyncConfig, 'token' | 'tokenStorage'> & { tokenStorage: 'safeStorage' | 'plain' }> {
    if (await ctx.safeStorage.isEncryptionAvailable()) {
      const sealed = await ctx.safeStorage.encryptString(token);
      return { token: Buffer.from(sealed).toString('base64'), tokenStorage: 'safeStorage' };
    }
    // No keychain (some Linux desktops): kept in the database, and the settings say so.
    return { token, tokenStorage: 'plain' };
  }

  async function reveal(stored: StoredSyncConfig): Promise<string | null> {
    if (!stored.token) return null;
    if (stored.tokenStorage !== 'safeStorage') return stored.token;
    try {
      return await ctx.safeStorage.decryptString(Buffer.from(stored.token, 'base64'));
    } catch (error) {
      // Another OS user or a reset keychain: the token must be entered again.
      console.error('[sync] the stored access token cannot be unsealed', error);
      return null;
    }
  }

  /** The agents' own tokens (online sign-ins here), unsealed for the sync worker; one that cannot be is left out. */
  async function agentTokens(): Promise<Record<string, string>> {
    const rows = await local.db.selectFrom('agent_tokens').selectAll().execute();
    const tokens: Record<string, string> = {};
    for (const row of rows) {
      const token = await reveal({ serverUrl: null, token: row.token, tokenStorage: row.token_storage });
      if (token) tokens[row.agent_id] = token;
    }
    return tokens;
  }

  async function currentTarget(): Promise<SyncTarget | null> {
    const stored = await readSyncConfig(local.db);
    const token = await reveal(stored);
    return stored.serverUrl && token ? { serverUrl: stored.serverUrl, token, agentTokens: await agentTokens() } : null;
  }

  /** The route to an address, in PAC form; DIRECT when it cannot be known (logged: IT reads why). */
  async function routeTo(url: string): Promise<string> {
    const resolve = ctx.resolveProxy ?? environmentProxyResolver;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${proxyResolveTimeoutMs} ms`)), proxyResolveTimeoutMs);
      });
      return await Promise.race([resolve(url), timeout]);
    } catch (error) {
      console.error('[sync] the system proxy for the server cannot be resolved; going direct:', error instanceof Error ? error.message : String(error));
      return 'DIRECT';
    } finally {
      clearTimeout(timer);
    }
  }

  /** The fetch for the host's own requests (enrolment, sign-in) along a route. */
  const fetchOn = (rules: string): typeof fetch => options.fetch ?? fetchAlong(rules);

  let target = await currentTarget();
  /** The route the sync worker fetches along, for the target's server. */
  let proxyRules = 'DIRECT';
  let lastProxyLog: string | null = null;
  function logRoute(serverUrl: string, rules: string): void {
    const line = `${new URL(serverUrl).origin} via ${rules}`;
    if (line !== lastProxyLog) console.info(`[sync] route to the server: ${line}`);
    lastProxyLog = line;
  }

  /** Asks the route again (network change, new server, the periodic refresh) and tells the worker if it moved. */
  async function refreshRoute(): Promise<void> {
    const current = target;
    if (!current) return;
    const rules = await routeTo(current.serverUrl);
    if (target !== current && target?.serverUrl !== current.serverUrl) return;
    logRoute(current.serverUrl, rules);
    if (rules === proxyRules) return;
    proxyRules = rules;
    post({ type: 'route', proxyRules });
  }
  const routeTimer = setInterval(() => void refreshRoute(), proxyRefreshMs);
  routeTimer.unref();

  /** A new server, with the route its enrolment took: the worker hears it before the target, so that its first run takes it. */
  function retarget(next: SyncTarget, rules: string): void {
    logRoute(next.serverUrl, rules);
    proxyRules = rules;
    target = next;
    post({ type: 'route', proxyRules });
    post({ type: 'configure', target });
  }
  let lastState: SyncState | null = null;
  let worker: Worker | null = null;
  let stopping = false;
  let restarts = 0;
  let nextRequest = 1;
  const waiting = new Map<number, { resolve(state: SyncState): void; reject(error: unknown): void }>();
  let stopped: (() => void) | null = null;

  async function fallbackState(): Promise<SyncState> {
    const { pending, dead } = await countOutbox(local.db);
    return {
      phase: target ? 'idle' : 'disabled',
      serverUrl: target?.serverUrl ?? null,
      online: false,
      pending,
      deadLetters: dead,
      lastSyncAt: await getLastSyncAt(local.db),
      lastError: null,
      nextAttemptAt: null,
    };
  }

  function publish(state: SyncState): void {
    lastState = state;
    ctx.emit('syncState', state);
  }

  function post(message: HostMessage): void {
    worker?.postMessage(message);
  }

  function spawn(): void {
    const data: WorkerStartData = { file: local.file, target, proxyRules, timing: options.timing, appVersion: options.appVersion, allowPlainHttp: options.allowPlainHttp === true };
    const w = new Worker(options.workerUrl ?? defaultWorkerUrl(), { workerData: data, name: 'desk-sync' });
    worker = w;
    w.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'state':
          restarts = 0;
          publish(message.state);
          break;
        case 'syncNowDone': {
          const request = waiting.get(message.id);
          waiting.delete(message.id);
          if (message.state) request?.resolve(message.state);
          else request?.reject(new DeskError('sync.unavailable', { details: message.error ?? '?' }));
          break;
        }
        case 'failed':
          console.error('[sync] the sync worker could not start:', message.message);
          break;
        case 'stopped':
          stopped?.();
          break;
      }
    });
    w.on('error', (error) => console.error('[sync] the sync worker failed', error));
    w.on('exit', (code) => {
      if (worker === w) worker = null;
      for (const request of waiting.values()) request.reject(new DeskError('sync.unavailable', { details: `worker exit ${code}` }));
      waiting.clear();
      if (stopping) {
        stopped?.();
        return;
      }
      // The window keeps working on its own database; sync comes back after a pause.
      restarts += 1;
      void fallbackState().then((state) =>
        publish({ ...state, phase: 'error', lastError: `Le processus de synchronisation s’est arrêté (code ${code}) : redémarrage automatique.` }),
      );
      if (restarts <= 5) setTimeout(() => !stopping && !worker && spawn(), restartDelayMs * restarts).unref();
    });
  }

  async function settings(): Promise<SyncSettingsView> {
    const stored = await readSyncConfig(local.db);
    return {
      serverUrl: stored.serverUrl,
      hasToken: stored.token !== null,
      tokenStorage: stored.token ? (stored.tokenStorage ?? 'plain') : 'none',
    };
  }

  const control: SyncControl = {
    state: async () => lastState ?? fallbackState(),
    syncNow: async () => {
      if (!target) throw new DeskError('sync.notConfigured');
      await started;
      if (!worker) throw new DeskError('sync.unavailable', { details: 'worker' });
      const id = nextRequest++;
      return new Promise<SyncState>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        post({ type: 'syncNow', id });
      });
    },
    settings,
    configure: async ({ serverUrl, token, enrolmentCode }) => {
      if (serverUrl === null) {
        await writeTransaction(local.db, (trx) => clearSyncConfig(trx));
        target = null;
        post({ type: 'configure', target: null });
        return settings();
      }
      const code = enrolmentCode?.trim() || null;
      if (code && token?.trim()) throw new DeskError('sync.enrolmentOrToken');
      let effective: string | null;
      let me: Pick<MeResponse, 'agentId' | 'agentName'>;
      const route = await routeTo(serverUrl);
      if (code) {
        // The exchange spends the code: its answer names the agent, so it is saved without a second request.
        const enrolled = await exchangeEnrolmentCode(serverUrl, code, { fetch: fetchOn(route), deviceId: local.deviceId, allowPlainHttp: options.allowPlainHttp === true });
        if (enrolled.kind === 'device') {
          // A device code: the desk holds its own credential, and agents sign in against the server.
          const sealed = await seal(enrolled.deviceToken);
          await saveDeviceEnrolment(local.db, { serverUrl, sealedToken: sealed.token!, tokenStorage: sealed.tokenStorage, signIn: enrolled.signIn }, new Date());
          retarget({ serverUrl, token: enrolled.deviceToken, agentTokens: await agentTokens() }, route);
          return settings();
        }
        effective = enrolled.token;
        me = enrolled;
      } else {
        // No new token: keep the one already stored (moving to another address of the same server).
        effective = token?.trim() || (token === null ? null : await reveal(await readSyncConfig(local.db)));
        if (!effective) throw new DeskError('sync.tokenRequired');
        me = await fetchTokenAgent(serverUrl, effective, { fetch: fetchOn(route), deviceId: local.deviceId, allowPlainHttp: options.allowPlainHttp === true });
      }
      const sealed = await seal(effective);
      await saveEnrolment(local.db, { serverUrl, sealedToken: sealed.token!, tokenStorage: sealed.tokenStorage, agent: me });
      retarget({ serverUrl, token: effective }, route);
      return settings();
    },
    nudge: () => post({ type: 'nudge' }),
    signInAgent: async ({ login, secret }, at) => {
      const rules = await deviceSignInRules(local.db);
      if (!rules || !target) throw new DeskError('sync.notConfigured');
      // Back at a locked session: the same secret unlocks, against the verifier; the token stays.
      if (await lockedOnLogin(local.db, login)) return offlineSignIn(local.db, { login, secret }, at, { unlock: true });
      const outcome = await requestSignIn(target.serverUrl, target.token, { login, secret }, { fetch: fetchOn(proxyRules), deviceId: local.deviceId, allowPlainHttp: options.allowPlainHttp === true });
      if (outcome.ok) {
        const sealed = await seal(outcome.answer.token);
        await recordOnlineSignIn(local.db, { ...outcome.answer, sealedToken: sealed.token!, tokenStorage: sealed.tokenStorage }, secret, at);
        target = { ...target, agentTokens: { ...target.agentTokens, [outcome.answer.agentId]: outcome.answer.token } };
        post({ type: 'agentTokens', tokens: target.agentTokens ?? {} });
        return;
      }
      if (outcome.unreachable) return offlineSignIn(local.db, { login, secret }, at);
      const error = outcome.error;
      if (error.code === 'signIn.wrong' || error.code === 'signIn.disabled') {
        await recordFailedSignIn(local.db, login, at, false);
        if (error.code === 'signIn.disabled') {
          // The server said so after a right secret: nothing of theirs stays here to sign in with.
          const row = await local.db.selectFrom('agent_verifiers').select('agent_id').where('login', '=', normaliseLogin(login)).executeTakeFirst();
          if (row) {
            await writeTransaction(local.db, async (trx) => {
              await trx.deleteFrom('agent_verifiers').where('agent_id', '=', row.agent_id).execute();
              await trx.deleteFrom('agent_tokens').where('agent_id', '=', row.agent_id).execute();
            });
          }
          throw error;
        }
        throw new DeskError('signIn.wrong', { secretKind: rules.secretKind });
      }
      throw error;
    },
  };

  // The sync worker starts once the route to its server is known, without holding up the desk's
  // start: a PAC script may take its time (up to the timeout), the desk opens meanwhile.
  const started = (async () => {
    const initial = target;
    if (initial) {
      const rules = await routeTo(initial.serverUrl);
      // A configure meanwhile has set the route of its own server.
      if (target === initial) {
        proxyRules = rules;
        logRoute(initial.serverUrl, rules);
      }
    }
    if (!stopping) spawn();
  })();

  return {
    control,
    setOnline: (online) => {
      // Back on a network (another Wi-Fi, the VPN up or down): the proxy may be another one.
      if (online) void refreshRoute();
      post({ type: 'online', online });
    },
    stop: async () => {
      if (stopping) return;
      stopping = true;
      clearInterval(routeTimer);
      await started;
      const w = worker;
      if (!w) return;
      const done = new Promise<void>((resolve) => (stopped = resolve));
      post({ type: 'stop' });
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), stopTimeoutMs).unref());
      if ((await Promise.race([done, timeout])) === 'timeout') console.error('[sync] the sync worker did not stop in time: terminated');
      // Its database connection is closed by now (or it is stuck): idle sockets must not keep it alive.
      await w.terminate();
    },
  };
}
