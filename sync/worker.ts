// The sync worker: a worker_threads thread of the app's main process, with its own connection to
// the device's database, so that pushing and pulling never stall the window. Bundled as
// out/main/sync-worker.js; started by sync/host.ts.

import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db/connection.ts';
import { SyncEngine } from './engine.ts';
import { SyncScheduler } from './scheduler.ts';
import { fetchAlong } from './proxy.ts';
import type { HostMessage, WorkerMessage, WorkerStartData } from './worker-messages.ts';

const port = parentPort;
if (!port) throw new Error('sync/worker.ts runs as a worker thread, started by sync/host.ts');
const send = (message: WorkerMessage) => port.postMessage(message);

const start = workerData as WorkerStartData;

try {
  // A longer busy timeout than the window's: the worker is the one that can wait.
  const local = await openDatabase(start.file, { busyTimeoutMs: 15_000, checkpoint: 'auto' });
  // Shared with every run: an engine drops a token the server refused, a sign-in adds one.
  const agentTokens = new Map(Object.entries(start.target?.agentTokens ?? {}));
  // Each run fetches along the route main resolved last for the server (sync/proxy.ts).
  let proxyRules = start.proxyRules;
  const scheduler = new SyncScheduler({
    db: local.db,
    createRunner: (target, signal) =>
      new SyncEngine({
        db: local.db,
        deviceId: local.deviceId,
        serverUrl: target.serverUrl,
        token: target.token,
        agentTokens,
        signal,
        fetch: fetchAlong(proxyRules),
        ...(start.appVersion ? { appVersion: start.appVersion } : {}),
        allowPlainHttp: start.allowPlainHttp === true,
      }),
    onState: (state) => send({ type: 'state', state }),
    timing: start.timing,
  });

  let stopping = false;
  port.on('message', (message: HostMessage) => {
    switch (message.type) {
      case 'configure':
        agentTokens.clear();
        for (const [agentId, token] of Object.entries(message.target?.agentTokens ?? {})) agentTokens.set(agentId, token);
        scheduler.configure(message.target);
        break;
      case 'nudge':
        scheduler.nudge();
        break;
      case 'route':
        proxyRules = message.proxyRules;
        break;
      case 'agentTokens':
        agentTokens.clear();
        for (const [agentId, token] of Object.entries(message.tokens)) agentTokens.set(agentId, token);
        scheduler.nudge();
        break;
      case 'online':
        scheduler.setOnline(message.online);
        break;
      case 'syncNow':
        void scheduler.syncNow().then(
          (state) => send({ type: 'syncNowDone', id: message.id, state }),
          (error: unknown) => send({ type: 'syncNowDone', id: message.id, state: null, error: String(error) }),
        );
        break;
      case 'stop':
        if (stopping) return;
        stopping = true;
        void (async () => {
          await scheduler.stop();
          await local.close();
          send({ type: 'stopped' });
          port.close();
        })();
        break;
    }
  });
  scheduler.configure(start.target);
} catch (error) {
  send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  port.close();
}
