/**
 * Requests per client address in a sliding minute, for the endpoints a guesser would hammer. It lives in
 * the process (a restart forgets it); the lock after repeated failures is the database's, not this.
 */
import { ServiceError } from '../http/errors.js';

export class AddressRateLimit {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number,
  ) {}

  /** Counts one request from `address`; refuses it (429) when the minute's quota is spent. */
  take(address: string): void {
    const now = this.now();
    const window = (this.attempts.get(address) ?? []).filter((t) => now - t < 60_000);
    if (window.length >= this.perMinute) {
      this.attempts.set(address, window);
      throw new ServiceError(429, 'too-many-attempts', 'too many write authorisations from this address: wait a minute');
    }
    window.push(now);
    this.attempts.set(address, window);
  }
}
