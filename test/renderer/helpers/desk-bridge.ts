// window.desk for component tests, over the real domain: every call goes through dispatch() into
// createDeskHandlers() on a real SQLite file, exactly as main's IPC and the web bridge do.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispatch } from '../../../contract/dispatch.ts';
import type { DeskBridge } from '../../../contract/bridge.ts';
import type { DeskEventName, DeskEvents } from '../../../contract/events.ts';
import { operationNames, type DeskApi, type OperationName } from '../../../contract/operations.ts';
import { upsertClient, type ClientInput } from '../../../db/clients.ts';
import { writeTransaction } from '../../../db/tx.ts';
import type { DeskCall } from '../../../db/database-client.ts';
import { guardCalls } from '../../../main/policy-guard.ts';
import type { Policy } from '../../../main/policy.ts';
import { openTestDesk, type TestDesk } from '../../helpers/local-db.ts';

type Listener = (payload: never) => void;

export interface TestBridge {
  bridge: DeskBridge;
  t: TestDesk;
  /** Every operation the interface asked for, in order: to prove what it did (or did not) call. */
  calls: { operation: OperationName; input: unknown }[];
  emit<E extends DeskEventName>(event: E, payload: DeskEvents[E]): void;
  addClients(clients: ClientInput[]): Promise<void>;
  cleanup(): Promise<void>;
}

export function client(code: string, name: string, extra: Partial<ClientInput> = {}): ClientInput {
  return { code, name, phones: ['+33 6 12 34 56 78'], email: null, city: 'Lyon', address: null, extra: {}, ...extra };
}

/** `policy`: the calls go through main's policy guard, as in the app under a site policy. */
export async function openTestBridge(options: { agentName?: string | null; policy?: Policy } = {}): Promise<TestBridge> {
  const listeners = new Map<DeskEventName, Set<Listener>>();
  const emit = <E extends DeskEventName>(event: E, payload: DeskEvents[E]) => {
    for (const listener of listeners.get(event) ?? []) (listener as (p: DeskEvents[E]) => void)(payload);
  };
  const t = await openTestDesk({ emit, agentName: options.agentName === undefined ? 'Awa Diallo' : options.agentName });
  // The interface compares with the real Date.now() (undo window, "il y a …"): the domain's clock starts there too.
  t.clock.set(new Date().toISOString());
  const calls: TestBridge['calls'] = [];
  const call = guardCalls(((operation: OperationName, input: unknown) => dispatch(t.desk, operation, input, () => undefined)) as DeskCall, options.policy ?? {});
  const api = Object.fromEntries(
    operationNames.map((operation) => [
      operation,
      (input: unknown) => {
        calls.push({ operation, input });
        return call(operation, input);
      },
    ]),
  ) as unknown as DeskApi;
  // As the web bridge's server does: the file's bytes on disk, then importClientsFile with its path.
  const uploads = mkdtempSync(join(tmpdir(), 'desk-upload-'));
  let uploaded = 0;
  const bridge: DeskBridge = {
    api,
    shell: 'web',
    async importFile(file, importId) {
      const path = join(uploads, `${++uploaded}.csv`);
      writeFileSync(path, Buffer.from(await file.arrayBuffer()));
      try {
        return await api.importClientsFile({ path, importId });
      } finally {
        rmSync(path, { force: true });
      }
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set<Listener>();
      set.add(listener as Listener);
      listeners.set(event, set);
      return () => set.delete(listener as Listener);
    },
  };
  return {
    bridge,
    t,
    calls,
    emit,
    async addClients(clients) {
      const at = t.clock.now().toISOString();
      await writeTransaction(t.local.db, async (trx) => {
        for (const c of clients) await upsertClient(trx, c, at);
      });
    },
    cleanup: async () => {
      rmSync(uploads, { recursive: true, force: true });
      await t.cleanup();
    },
  };
}
