// Electron's main process can ask whether the OS has a network (net.isOnline()) but gets no event
// when it changes: look every few seconds and right after the computer wakes up, and report changes
// only, so the sync worker retries as soon as the network is back instead of waiting out its backoff.

export interface OnlineWatch {
  stop(): void;
}

export interface OnlineSource {
  isOnline(): boolean;
  /** Subscribes to the OS waking up; returns an unsubscribe. */
  onResume(listener: () => void): () => void;
}

export const onlinePollMs = 5_000;

export function watchOnline(source: OnlineSource, onChange: (online: boolean) => void, pollMs = onlinePollMs): OnlineWatch {
  let last = source.isOnline();
  onChange(last);
  const check = () => {
    const now = source.isOnline();
    if (now !== last) {
      last = now;
      onChange(now);
    }
  };
  const timer = setInterval(check, pollMs);
  // Never keep the app alive just to poll.
  timer.unref?.();
  const unsubscribe = source.onResume(check);
  return {
    stop: () => {
      clearInterval(timer);
      unsubscribe();
    },
  };
}
