// The time source of the domain. Injected so that tests can hold the clock still or move it.

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** The device's offset from UTC at that instant, in minutes east (Paris in winter: 60). */
export function utcOffsetMinutes(at: Date): number {
  const offset = -at.getTimezoneOffset();
  return offset === 0 ? 0 : offset;
}
