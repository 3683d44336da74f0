/**
 * Sessions of the relying party, one database row per sign-in, so a restart keeps them. The client
 * holds a random bearer token; the row holds only its SHA-256, and a lookup is by that digest.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Database } from '../db/database.js';
import type { VerifiedSignIn } from './verify-sign-in.js';

export interface OpenedSession {
  readonly id: string;
  /** The bearer token: given to the client once, never stored. */
  readonly token: string;
  readonly expiresAt: Date;
}

export interface SignedIn {
  readonly id: string;
  readonly serial: string;
  readonly subject: string;
  readonly issuer: string;
  readonly signedInAt: Date;
  readonly expiresAt: Date;
}

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export class SessionStore {
  constructor(
    private readonly db: Database,
    private readonly lifetimeMs: number,
  ) {}

  /**
   * Records the sign-in and hands out its token. A session never outlives the certificate it was
   * opened with. A second sign-in with the same challenge fails on the unique challenge column.
   */
  async open(challengeId: string, verified: VerifiedSignIn, now: Date): Promise<OpenedSession> {
    const token = randomBytes(32).toString('base64url');
    const id = randomUUID();
    const expiresAt = Math.min(now.getTime() + this.lifetimeMs, verified.notAfter.getTime());
    await this.db
      .insertInto('rp_sign_ins')
      .values({
        id,
        token_hash: tokenDigest(token),
        certificate_serial: verified.serial,
        subject: verified.subject,
        issuer: verified.issuer,
        certificate_not_after: verified.notAfter.getTime(),
        challenge_id: challengeId,
        ocsp_produced_at: verified.ocsp.producedAt.getTime(),
        signed_in_at: now.getTime(),
        expires_at: expiresAt,
      })
      .execute();
    return { id, token, expiresAt: new Date(expiresAt) };
  }

  /** The live session the token opens, if any. */
  async find(token: string, now: Date): Promise<SignedIn | undefined> {
    const row = await this.db
      .selectFrom('rp_sign_ins')
      .select(['id', 'certificate_serial', 'subject', 'issuer', 'signed_in_at', 'expires_at'])
      .where('token_hash', '=', tokenDigest(token))
      .where('expires_at', '>', now.getTime())
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      id: row.id,
      serial: row.certificate_serial,
      subject: row.subject,
      issuer: row.issuer,
      signedInAt: new Date(row.signed_in_at),
      expiresAt: new Date(row.expires_at),
    };
  }
}
