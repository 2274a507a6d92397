/** The time source, injected wherever "now" matters so tests can fix it. */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

/** A clock that always returns the given instant (tests, seeds). */
export function fixedClock(instant: Date): Clock {
  return { now: () => new Date(instant.getTime()) }
}
