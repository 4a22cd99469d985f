// The OS network state reaches the sync worker: polled (Electron has no event for it) and re-read when
// the computer wakes up; only changes are reported, and the app stops watching when it quits.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('../helpers/fake-electron.ts')).electronModule);

import { startDesktopApp } from '../../main/app.ts';
import { watchOnline } from '../../main/online-watch.ts';
import { fake, resetFakeElectron } from '../helpers/fake-electron.ts';
import { tempDir } from '../helpers/local-db.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('watchOnline', () => {
  function source(initial: boolean) {
    const resume = new Set<() => void>();
    const s = {
      online: initial,
      isOnline: () => s.online,
      onResume: (listener: () => void) => {
        resume.add(listener);
        return () => resume.delete(listener);
      },
      wake: () => resume.forEach((l) => l()),
      resume,
    };
    return s;
  }

  it('reports the state at once, then only its changes, on the poll or on wake-up', () => {
    vi.useFakeTimers();
    const os = source(true);
    const seen: boolean[] = [];
    const watch = watchOnline(os, (online) => seen.push(online), 1000);
    expect(seen).toEqual([true]);
    vi.advanceTimersByTime(5000);
    expect(seen).toEqual([true]);
    os.online = false;
    vi.advanceTimersByTime(1000);
    expect(seen).toEqual([true, false]);
    os.online = true;
    os.wake();
    expect(seen).toEqual([true, false, true]);
    watch.stop();
    os.online = false;
    vi.advanceTimersByTime(5000);
    os.wake();
    expect(seen).toEqual([true, false, true]);
    expect(os.resume.size).toBe(0);
  });
});

describe('the desktop app', () => {
  it('listens for wake-ups while running and stops when it quits', async () => {
    resetFakeElectron();
    const dir = tempDir('desk-online-');
    fake.app.userDataDir = dir;
    try {
      const desktop = await startDesktopApp({ mainDir: join(dir, 'out', 'main') });
      if (!desktop) throw new Error('the app did not start');
      expect(fake.powerMonitor.listenerCount('resume')).toBe(1);
      fake.app.quit();
      await desktop.closed;
      expect(fake.powerMonitor.listenerCount('resume')).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
