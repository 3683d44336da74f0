/**
 * The relying party's challenges: 32 random bytes, single use, short-lived. They are kept in memory,
 * not in the database: a challenge lives two minutes and is worth nothing once lost — after a restart
 * the device agent asks for a new one — whereas storing it would cost a write per sign-in attempt and
 * a cleanup job. A challenge is spent the moment a sign-in names it, before anything is checked, so
 * one challenge cannot be tried against several certificates or signatures.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { ServiceError } from '../http/errors.js';

export interface IssuedChallenge {
  readonly id: string;
  readonly challenge: Uint8Array;
  readonly expiresAt: Date;
}

interface Entry {
  readonly challenge: Uint8Array;
  readonly expiresAt: number;
  used: boolean;
}

export interface ChallengeStoreOptions {
  readonly lifetimeMs?: number;
  /** Outstanding challenges at most, so that unanswered requests cannot fill the memory. */
  readonly capacity?: number;
  readonly now?: () => Date;
}

export const CHALLENGE_BYTES = 32;

export class ChallengeStore {
  private readonly entries = new Map<string, Entry>();
  private readonly lifetimeMs: number;
  private readonly capacity: number;
  private readonly now: () => Date;
  private lastPrune = 0;

  constructor(options: ChallengeStoreOptions = {}) {
    this.lifetimeMs = options.lifetimeMs ?? 2 * 60_000;
    this.capacity = options.capacity ?? 100_000;
    this.now = options.now ?? (() => new Date());
  }

  issue(): IssuedChallenge {
    const now = this.now().getTime();
    // Sweeping once per lifetime keeps issuing O(1) on average; a full store sweeps at once.
    if (this.entries.size >= this.capacity || now - this.lastPrune > this.lifetimeMs) this.prune(now);
    if (this.entries.size >= this.capacity) throw new ServiceError(503, 'too-many-challenges', 'too many sign-ins in progress; try again shortly');
    const id = randomUUID();
    const challenge = new Uint8Array(randomBytes(CHALLENGE_BYTES));
    const expiresAt = now + this.lifetimeMs;
    this.entries.set(id, { challenge, expiresAt, used: false });
    return { id, challenge, expiresAt: new Date(expiresAt) };
  }

  /** Spends the challenge: its bytes the first time, within its lifetime; a refusal otherwise. */
  take(id: string): Uint8Array {
    const entry = this.entries.get(id);
    if (!entry) throw new ServiceError(404, 'unknown-challenge', 'no such challenge (ask for a new one)');
    if (entry.used) throw new ServiceError(409, 'challenge-used', 'this challenge was already used for a sign-in');
    entry.used = true;
    if (this.now().getTime() > entry.expiresAt) throw new ServiceError(410, 'challenge-expired', 'the challenge expired (ask for a new one)');
    return entry.challenge;
  }

  /**
   * Forgets challenges well past their lifetime. A spent one is kept for one more lifetime, so that a
   * replay soon after is told `challenge-used` rather than `unknown-challenge`.
   */
  prune(now = this.now().getTime()): void {
    this.lastPrune = now;
    for (const [id, e] of this.entries) if (now > e.expiresAt + this.lifetimeMs) this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }
}
