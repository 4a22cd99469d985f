// Device-facing latency with 50 devices at a steady pace, as opposed to the saturating
// sync_push_concurrent run (where every device sends its whole backlog at once, so each request
// waits behind the others and its latency measures the queue, not the server). Each device, every
// `cycleMs` (staggered): one push of 500 new attempts, then one pull page (up to 5,000) from its
// own cursor, which follows the other devices' pushes. The devices are plain HTTP clients (no
// local SQLite): the figures are the server's, seen from the network. Each device pushes attempts
// of its own clients (the codes split between the devices).

import { protocolVersion } from '../../contract/sync-protocol.ts';
import { uuidv7 } from '../../db/ids.ts';
import { createAgent } from '../../server/index.ts';
import { ProtocolClient, attemptRecord } from '../helpers/server.ts';
import type { SyncMeasurement } from './sync.ts';

export interface FleetOptions {
  serverUrl: string;
  databaseUrl: string;
  codes: string[];
  /** Where the devices' cursors start: the head of the change log. */
  cursor: string;
  suffix: string;
  devices?: number;
  seconds?: number;
  cycleMs?: number;
  log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((resume) => setTimeout(resume, ms));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]! * 100) / 100;
}

export async function runPacedFleet(options: FleetOptions): Promise<SyncMeasurement[]> {
  const deviceCount = options.devices ?? 50;
  const seconds = options.seconds ?? 40;
  const cycleMs = options.cycleMs ?? 10_000;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const agents = [];
  for (let i = 0; i < deviceCount; i += 1) agents.push(await createAgent(options.databaseUrl, `Agent au rythme ${i}`));
  const pushTimes: number[] = [];
  const pullTimes: number[] = [];
  let pushed = 0;
  let pulled = 0;
  const failures = new Map<number, number>();
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    agents.map(async (agent, d) => {
      const api = new ProtocolClient(options.serverUrl, agent.token);
      const deviceId = `fleet-${d}-${uuidv7()}`;
      // Each agent works its own share of the clients, as on a floor (sync.ts's sync_push_concurrent
      // measures the contended case apart).
      const own = options.codes.filter((_, j) => j % deviceCount === d);
      let cursor = options.cursor;
      let k = 0;
      await sleep((d / deviceCount) * cycleMs);
      while (performance.now() < deadline) {
        const cycleStart = performance.now();
        const at = Date.now();
        const items = Array.from({ length: 500 }, () => ({
          kind: 'attempt',
          record: attemptRecord({
            id: uuidv7({ msecs: at }),
            clientCode: own[k++ % own.length]!,
            agentId: agent.agentId,
            agentName: agent.agentName,
            deviceId,
            occurredAt: new Date(at).toISOString(),
            note: k % 10 === 0 ? 'Rappeler après 18 h' : null,
          }),
        }));
        let t = performance.now();
        const push = await api.request('POST', '/v1/push', { body: JSON.stringify({ protocol: protocolVersion, deviceId, items }) });
        pushTimes.push(performance.now() - t);
        if (push.status === 200) pushed += (push.body as { results: { outcome: string }[] }).results.filter((r) => r.outcome === 'applied').length;
        else failures.set(push.status, (failures.get(push.status) ?? 0) + 1);
        t = performance.now();
        const page = await api.changes(cursor, 5000);
        pullTimes.push(performance.now() - t);
        if (page.status === 200) {
          cursor = page.body.nextCursor;
          pulled += page.body.changes.length;
        } else failures.set(page.status, (failures.get(page.status) ?? 0) + 1);
        await sleep(Math.max(0, cycleMs - (performance.now() - cycleStart)));
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  if (failures.size) log(`sync bench${options.suffix}: paced fleet answers other than 200: ${JSON.stringify(Object.fromEntries(failures))}`);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return [
    { name: `sync_fleet_push${options.suffix}`, records_per_s: Math.round(pushed / elapsed), n: pushTimes.length, seconds: round(elapsed), p50_ms: percentile(pushTimes, 50), p99_ms: percentile(pushTimes, 99), devices: deviceCount },
    { name: `sync_fleet_pull${options.suffix}`, records_per_s: Math.round(pulled / elapsed), n: pullTimes.length, seconds: round(elapsed), p50_ms: percentile(pullTimes, 50), p99_ms: percentile(pullTimes, 99), devices: deviceCount },
  ];
}
