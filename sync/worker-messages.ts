// What the app's main process and the sync worker say to each other.

import type { SyncState } from '../contract/index.ts';
import type { SchedulerTiming, SyncTarget } from './scheduler.ts';

export interface WorkerStartData {
  /** The device's database file: the worker opens its own connection to it. */
  file: string;
  target: SyncTarget | null;
  /** The route to the target's server through the system's proxy, in PAC form (sync/proxy.ts). */
  proxyRules: string;
  timing?: Partial<SchedulerTiming>;
  /** The app's version, told to servers that take device reports. */
  appVersion?: string;
  /** Site policy: plain http:// to another machine allowed. */
  allowPlainHttp?: boolean;
}

export type HostMessage =
  | { type: 'configure'; target: SyncTarget | null }
  | { type: 'nudge' }
  /** The route to the server changed (a new server, or the network and so its proxy). */
  | { type: 'route'; proxyRules: string }
  /** An agent signed in online (or a token went): the agents' tokens now, by agent id. */
  | { type: 'agentTokens'; tokens: Record<string, string> }
  | { type: 'online'; online: boolean }
  | { type: 'syncNow'; id: number }
  | { type: 'stop' };

export type WorkerMessage =
  | { type: 'state'; state: SyncState }
  | { type: 'syncNowDone'; id: number; state: SyncState | null; error?: string }
  | { type: 'stopped' }
  | { type: 'failed'; message: string };
