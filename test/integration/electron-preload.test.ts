// The preload: the page gets `window.desk` and nothing more — one function per operation on its
// channel, contract events only, payloads without the IPC event, never ipcRenderer.

import { beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('../helpers/fake-electron.ts')).electronModule);

import type { DeskBridge } from '../../contract/bridge.ts';
import { eventChannelOf, eventNames } from '../../contract/events.ts';
import { channelOf, operationNames } from '../../contract/operations.ts';
import { fake, resetFakeElectron } from '../helpers/fake-electron.ts';

let desk: DeskBridge;

beforeAll(async () => {
  resetFakeElectron();
  await import('../../preload/index.ts');
  desk = fake.state.exposed.get('desk') as DeskBridge;
});

/** Every value reachable from `root`, functions' own properties included. */
function reachable(root: unknown): unknown[] {
  const seen = new Set<unknown>();
  const walk = (value: unknown) => {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) return;
    seen.add(value);
    for (const key of Reflect.ownKeys(value as object)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (descriptor && 'value' in descriptor) walk(descriptor.value);
    }
  };
  walk(root);
  return [...seen];
}

describe('preload bridge', () => {
  it('exposes exactly one global, `desk`, with api, importFile, on and shell', () => {
    expect([...fake.state.exposed.keys()]).toEqual(['desk']);
    expect(Object.keys(desk).sort()).toEqual(['api', 'importFile', 'on', 'shell']);
    expect(desk.shell).toBe('electron');
    expect(typeof desk.on).toBe('function');
  });

  it('has one function per contract operation, and only those', () => {
    expect(Object.keys(desk.api).sort()).toEqual([...operationNames].sort());
    for (const op of operationNames) expect(typeof desk.api[op], op).toBe('function');
  });

  it('invokes each operation on its own channel with the input as given, returning main\'s answer', async () => {
    fake.ipcRenderer.reply = (channel, args) => ({ ok: true, value: { channel, args } });
    fake.ipcRenderer.invocations.length = 0;
    for (const op of operationNames) {
      const input = { probe: op };
      const callApi = desk.api[op] as (input: unknown) => Promise<unknown>;
      await expect(callApi(input)).resolves.toEqual({ ok: true, value: { channel: channelOf(op), args: [input] } });
    }
    expect(fake.ipcRenderer.invocations.map((i) => i.channel)).toEqual(operationNames.map((op) => channelOf(op)));
  });

  it('imports a picked file by its path (webUtils.getPathForFile) on the importClientsFile channel, never its text', async () => {
    fake.ipcRenderer.reply = (channel, args) => ({ ok: true, value: { channel, args } });
    fake.ipcRenderer.invocations.length = 0;
    const file = Object.assign(new File(['Code client;Nom\n1;A\n'], 'clients.csv'), { fakePath: '/home/agent/clients.csv' });
    await expect(desk.importFile(file, 'imp-7')).resolves.toEqual({
      ok: true,
      value: { channel: channelOf('importClientsFile'), args: [{ path: '/home/agent/clients.csv', importId: 'imp-7' }] },
    });
    expect(fake.ipcRenderer.invocations.map((i) => i.channel)).toEqual([channelOf('importClientsFile')]);
  });

  it('never hands the page ipcRenderer, nor the IPC event', () => {
    const values = reachable(desk);
    expect(values).not.toContain(fake.ipcRenderer);
    expect(values.some((v) => typeof v === 'object' && v !== null && 'invoke' in v && 'send' in v)).toBe(false);

    const received: unknown[][] = [];
    const off = desk.on('menuCommand', (...args: unknown[]) => received.push(args));
    fake.ipcRenderer.deliver(eventChannelOf('menuCommand'), 'recordSuccess');
    off();
    expect(received).toEqual([['recordSuccess']]);
  });

  it('relays each contract event on its channel until unsubscribed', () => {
    for (const event of eventNames) {
      const payloads: unknown[] = [];
      const off = desk.on(event, (payload) => payloads.push(payload));
      expect(fake.ipcRenderer.listenerCount(eventChannelOf(event))).toBe(1);
      fake.ipcRenderer.deliver(eventChannelOf(event), { n: 1 });
      off();
      off(); // twice is harmless
      fake.ipcRenderer.deliver(eventChannelOf(event), { n: 2 });
      expect(payloads).toEqual([{ n: 1 }]);
      expect(fake.ipcRenderer.listenerCount(eventChannelOf(event))).toBe(0);
    }
  });

  it('refuses to listen to anything but a contract event', () => {
    const on = desk.on as (event: string, listener: unknown) => unknown;
    for (const name of ['desk:recordAttempt', 'ELECTRON_BROWSER_REQUIRE', '__proto__', 'constructor', '']) {
      expect(() => on(name, () => undefined), name).toThrow(TypeError);
    }
    expect(() => on('syncState', 'not a function')).toThrow(TypeError);
    expect(fake.ipcRenderer.eventNames()).toEqual([]);
  });

  it('is frozen: the page cannot swap an operation for another channel', () => {
    expect(Object.isFrozen(desk)).toBe(true);
    expect(Object.isFrozen(desk.api)).toBe(true);
  });
});
