// Times as the console shows them. An attempt's time is the wall clock of the desk that made it,
// with that desk's UTC offset (what the agent saw); the server's own times are shown in the
// console's time zone. Date filters ("Du", "Au") are calendar days of that time zone.

import type { Locale } from '../../contract/errors.ts';

export const defaultConsoleTimeZone = 'Europe/Paris';

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

export function offsetLabel(offsetMin: number): string {
  const sign = offsetMin < 0 ? '−' : '+';
  const abs = Math.abs(offsetMin);
  return `UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function wallClock(at: Date, locale: Locale): string {
  const d = `${pad(at.getUTCDate())}/${pad(at.getUTCMonth() + 1)}/${at.getUTCFullYear()}`;
  const t = `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}`;
  return locale === 'en' ? `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())} ${t}` : `${d} ${t}`;
}

/** "01/12/2026 10:15:03 (UTC+01:00)": the desk's wall clock when the attempt was made. */
export function attemptTime(occurredAt: string, offsetMin: number, locale: Locale): string {
  return `${wallClock(new Date(Date.parse(occurredAt) + offsetMin * 60_000), locale)} (${offsetLabel(offsetMin)})`;
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** The offset of a time zone at an instant, in minutes east of UTC. */
export function zoneOffsetMin(at: Date, timeZone: string): number {
  // One formatter per zone: building one costs far more than formatting (a 30-day dashboard asks
  // the offset of every one of its 720 hours).
  let format = zoneFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    if (zoneFormats.size < 100) zoneFormats.set(timeZone, format);
  }
  const parts = format.formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
}

/** A server time (receipt, void, sign-in) in the console's zone, with that zone's offset. */
export function serverTime(iso: string, timeZone: string, locale: Locale): string {
  const at = new Date(iso);
  return attemptTime(iso, zoneOffsetMin(at, timeZone), locale);
}

/** The UTC instant a calendar day 'YYYY-MM-DD' starts in the zone. */
export function dayStartUtc(day: string, timeZone: string): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const guess = Date.UTC(y, m - 1, d);
  // The offset at midnight may differ from the offset at the guess on a DST day: settle twice.
  let at = guess - zoneOffsetMin(new Date(guess), timeZone) * 60_000;
  at = guess - zoneOffsetMin(new Date(at), timeZone) * 60_000;
  return new Date(at);
}

/** 'YYYY-MM-DD' of an instant in the zone. */
export function dayOf(at: Date, timeZone: string): string {
  const local = new Date(at.getTime() + zoneOffsetMin(at, timeZone) * 60_000);
  return `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
}

export function nextDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}
