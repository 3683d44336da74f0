/** What an SP-TSM is given: its database, its peers (JPKI system, each operator's MNO-TSM), its keys and its limits. */
import type { Database } from '../db/database.js';
import type { JpkiSystemPort } from './jpki-port.js';
import type { Mailbox } from './mailbox.js';
import type { MnoEndpoint } from './operators.js';
import type { SpKeys } from './write-flow.js';

export interface SpTsmConfig {
  readonly db: Database;
  readonly publicUrl: () => string;
  readonly mailbox: Mailbox;
  readonly jpki: JpkiSystemPort;
  /** Each mobile operator's MNO-TSM, by operator name: an application names the operator of its SIM. */
  readonly mno: Readonly<Record<string, MnoEndpoint>>;
  /** The operator of applications that name none (callers from before operators); default: the first in `mno`. */
  readonly defaultOperator?: string;
  readonly keys: SpKeys;
  readonly cardAuthorityRoot: Uint8Array;
  readonly now?: () => number;
  readonly accessCodeLifetimeMs?: number;
  readonly writeSessionLifetimeMs?: number;
  /** Failed write authorisations before the application locks (default 5). */
  readonly maxFailedAttempts?: number;
  /** Write authorisations per client address per minute (default 20). */
  readonly attemptsPerMinute?: number;
  readonly idleTimeoutMs?: number;
  readonly passwordHashParameters?: { N: number; r: number; p: number };
  /** Applications checked, hashed and issued at once; the others queue in arrival order (default: libuv's thread pool size). */
  readonly applicationConcurrency?: number;
  /** PIN resets authorised per application in 24 hours (default 3): each one gives the PIN its tries back. */
  readonly pinResetsPerDay?: number;
}
