// The warning of a desk whose clock is off the server's by more than a few minutes (issue 10): the
// attempts keep the desk's time (docs/sync-protocol.md, "Clocks"), so the agent should have the
// computer's clock set right before the console's journal and the undo window read it wrong.

import { limits } from '../../../contract/limits.ts';
import { useT } from '../i18n/index.ts';
import { useSyncStore } from '../store/sync.ts';

/** "12 min", or "2 h 05" past an hour. */
export function skewDuration(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')}`;
}

export function ClockSkew() {
  const t = useT();
  const clock = useSyncStore((s) => (s.state && s.state.phase !== 'disabled' ? (s.state.serverClock ?? null) : null));
  const minutes = clock ? Math.round(Math.abs(clock.offsetMs) / 60_000) : 0;
  // The slot is always there (a row of the shell's grid, empty: no height).
  return (
    <div className="clock-skew-slot">
      {clock && minutes > limits.clockSkewWarnMinutes && (
        <p className="clock-skew" role="alert">
          <span aria-hidden="true">⚠ </span>
          {t.clock.skew(skewDuration(minutes), clock.offsetMs > 0)}
        </p>
      )}
    </div>
  );
}
