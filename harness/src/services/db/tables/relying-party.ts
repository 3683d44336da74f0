/**
 * The relying party's state: one row per sign-in (a session). The session token itself is never
 * stored, only its SHA-256, so reading the database does not let anyone use a session.
 */
import type { Kysely, Migration } from 'kysely';
import type { DatabaseEngine } from '../columns.js';

export interface RpSignInsTable {
  id: string;
  /** SHA-256 (hex) of the bearer token handed to the client. */
  token_hash: string;
  /** The SIM certificate that signed in: serial (upper-case hex), subject, issuer, end of validity. */
  certificate_serial: string;
  subject: string;
  issuer: string;
  certificate_not_after: number;
  /** The challenge the SIM signed (its id), and OCSP's answer time for the record. */
  challenge_id: string;
  ocsp_produced_at: number;
  signed_in_at: number;
  expires_at: number;
}

export interface RelyingPartyTables {
  rp_sign_ins: RpSignInsTable;
}

const created = (): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('rp_sign_ins')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('certificate_serial', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('issuer', 'text', (c) => c.notNull())
      .addColumn('certificate_not_after', 'bigint', (c) => c.notNull())
      // One sign-in per challenge, enforced by the database as well as by the in-memory store.
      .addColumn('challenge_id', 'text', (c) => c.notNull().unique())
      .addColumn('ocsp_produced_at', 'bigint', (c) => c.notNull())
      .addColumn('signed_in_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('rp_sign_ins_serial').on('rp_sign_ins').column('certificate_serial').execute();
  },
});

export const relyingPartyMigrations = (_engine: DatabaseEngine): Record<string, Migration> => ({ '2026-11-29-08-relying-party': created() });
