import { useState } from 'react';
import { formatDateTime, formatRelative } from '../format.ts';
import { useT } from '../i18n/index.ts';
import { useNow } from '../store/clock.ts';

/** "il y a 5 min", with the exact date and time in the title and shown while focused. */
export function RelativeTime({ iso, focusable = false }: { iso: string; focusable?: boolean }) {
  const t = useT();
  const now = useNow();
  const [focused, setFocused] = useState(false);
  const absolute = formatDateTime(t, iso);
  // The clock ticks every 30 s; a moment recorded since then is still "just now", not "in 10 s".
  const relative = formatRelative(t, iso, Math.max(now, Date.now()));
  return (
    <time
      dateTime={iso}
      title={absolute}
      className="relative-time"
      tabIndex={focusable ? 0 : undefined}
      onFocus={() => setFocused(true)}
      onBlur={() => setFocused(false)}
    >
      {focused ? absolute : relative}
    </time>
  );
}
