// "Exporter un diagnostic…" (Aide) and `--export-diagnostics FILE`: one zip for support with the
// logs, the versions, the base's integrity and counts, the sync state, the policy in force and the
// process's memory.
// No client data goes in: the log never holds any (main/log.ts), the base gives only its
// quick_check, schema and counts (db/diagnosis.ts), dead letters only their number, and the
// policy's enrolment code is blanked.

import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { release } from 'node:os';
import { basename } from 'node:path';
import { strToU8, zipSync, type Zippable } from 'fflate';
import type { DeskCall, DatabaseClient } from '../db/database-client.ts';
import type { DeskLog } from './log.ts';
import { policyForReport, type PolicyInForce } from './policy.ts';

export interface DiagnosticSources {
  log: DeskLog;
  policy: PolicyInForce;
  database: Pick<DatabaseClient, 'maintain' | 'deviceId' | 'problem' | 'heapStatistics'> | null;
  call: DeskCall | null;
  versions: Record<string, string | undefined>;
  /** The route to the server through the system's proxy (session.resolveProxy), as sync follows it. */
  resolveProxy?: (url: string) => Promise<string>;
}

const json = (value: unknown) => strToU8(`${JSON.stringify(value, null, 2)}\n`);

async function settle<T>(work: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await work();
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** Builds the zip's entries; each part that fails says so in its place, the others still come. */
export async function collectDiagnostics(sources: DiagnosticSources): Promise<Zippable> {
  const { log, policy, database, call } = sources;
  const entries: Zippable = {};
  entries['versions.json'] = json({ ...sources.versions, platform: process.platform, arch: process.arch, osRelease: release(), writtenAt: new Date().toISOString() });
  entries['policy.json'] = json({ file: policy.file, policy: policyForReport(policy.policy), sources: policy.sources, problems: policy.problems });
  entries['database.json'] = json(
    database
      ? {
          deviceId: database.deviceId,
          problem: database.problem(),
          diagnosis: await settle(async () => {
            const result = await database.maintain({ action: 'diagnose' });
            return result.ok ? result.value : { error: result.error.code };
          }),
        }
      : { error: 'database not opened' },
  );
  // "The desk takes 400 MB": how much is the window's process, main's heap, the database worker's heap.
  const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
  const usage = process.memoryUsage();
  const workerHeap = database ? await settle(() => database.heapStatistics()) : null;
  entries['memory.json'] = json({
    rssMb: mb(usage.rss),
    mainHeapMb: mb(usage.heapTotal),
    databaseWorkerHeapMb: workerHeap && 'total_heap_size' in workerHeap ? mb(workerHeap.total_heap_size) : workerHeap,
  });
  if (call) {
    const settings = await settle(async () => {
      const answer = await call('getSyncSettings', {});
      return answer.ok ? answer.value : { error: answer.error.code };
    });
    const serverUrl = 'serverUrl' in settings ? settings.serverUrl : null;
    entries['sync.json'] = json({
      state: await settle(async () => {
        const state = await call('getSyncState', {});
        return state.ok ? state.value : { error: state.error.code };
      }),
      settings,
      // Which proxy the desk goes through to its server: the first question when a site's desks cannot sync.
      route: serverUrl && sources.resolveProxy ? await settle(() => sources.resolveProxy!(serverUrl)) : null,
    });
  } else {
    entries['sync.json'] = json({ error: 'database not opened' });
  }
  for (const file of log.files()) entries[`logs/${basename(file)}`] = readFileSync(file);
  return entries;
}

/** Writes the zip next to its target, then renames it: no half-written diagnostic is ever left. */
export async function writeDiagnostics(target: string, sources: DiagnosticSources): Promise<{ file: string; bytes: number }> {
  const entries = await collectDiagnostics(sources);
  const zip = zipSync(entries, { level: 6 });
  const partial = `${target}.part`;
  writeFileSync(partial, zip);
  renameSync(partial, target);
  sources.log.info(`diagnostics: written (${zip.byteLength} bytes, ${Object.keys(entries).length} entries)`);
  return { file: target, bytes: zip.byteLength };
}
