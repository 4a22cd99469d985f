// Dates and numbers in the agent's language and time zone, through Intl only.

import type { Dictionary } from './i18n/fr.ts';

const cache = new Map<string, Intl.DateTimeFormat | Intl.RelativeTimeFormat | Intl.NumberFormat>();

function cached<T extends Intl.DateTimeFormat | Intl.RelativeTimeFormat | Intl.NumberFormat>(key: string, make: () => T): T {
  let value = cache.get(key);
  if (!value) {
    value = make();
    cache.set(key, value);
  }
  return value as T;
}

/** "26/11/2026 09:05" / "26/11/2026, 09:05": the full moment, for titles, history and exports. */
export function formatDateTime(t: Dictionary, iso: string): string {
  const f = cached(`dt:${t.localeTag}`, () => new Intl.DateTimeFormat(t.localeTag, { dateStyle: 'short', timeStyle: 'short' }));
  return f.format(new Date(iso));
}

export function formatDate(t: Dictionary, iso: string): string {
  const f = cached(`d:${t.localeTag}`, () => new Intl.DateTimeFormat(t.localeTag, { dateStyle: 'medium' }));
  return f.format(new Date(iso));
}

export function formatNumber(t: Dictionary, n: number): string {
  const f = cached(`n:${t.localeTag}`, () => new Intl.NumberFormat(t.localeTag));
  return f.format(n);
}

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

/** "il y a 5 min", "hier", "à l’instant": how long ago, at a glance. */
export function formatRelative(t: Dictionary, iso: string, now: number): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  if (Math.abs(seconds) < 45) return t.time.justNow;
  const f = cached(`r:${t.localeTag}`, () => new Intl.RelativeTimeFormat(t.localeTag, { numeric: 'auto', style: 'short' }));
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size || unit === 'minute') return f.format(Math.round(seconds / size), unit);
  }
  return t.time.justNow;
}

/** Today as 'YYYY-MM-DD' in the agent's time zone (what <input type=date> and exports speak). */
export function localDay(at: Date): string {
  const y = at.getFullYear();
  const m = String(at.getMonth() + 1).padStart(2, '0');
  const d = String(at.getDate()).padStart(2, '0');
  return `${y}-${m}-${d}`;
}
