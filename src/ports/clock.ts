// Time as a dependency, so retention, leases and windows are testable with a controlled clock.

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
