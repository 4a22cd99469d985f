// The one rule for a client's synthetic status, shared by the desk (db/status.ts) and the server's
// console: the latest non-voided attempt by time of the attempt, ties broken by id. Web-safe.

export interface Ordered {
  id: string;
  occurred_at: string;
}

/** True when `a` comes after `b` in status order. */
export function isLater(a: Ordered, b: Ordered): boolean {
  return a.occurred_at > b.occurred_at || (a.occurred_at === b.occurred_at && a.id > b.id);
}

/** The attempt that sets the status, or null ("never notified"): voided attempts do not count. */
export function statusAttempt<T extends Ordered & { voided: boolean }>(attempts: readonly T[]): T | null {
  let latest: T | null = null;
  for (const a of attempts) if (!a.voided && (latest === null || isLater(a, latest))) latest = a;
  return latest;
}
