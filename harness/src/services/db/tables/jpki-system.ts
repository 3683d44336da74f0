/**
 * The test JPKI system's state: every certificate it issued with its revocation status (the source of
 * its CRLs and OCSP answers), the issuances it made for SIMs with their link to the applicant's card
 * certificate, and the CRL numbers.
 */
import type { ColumnType, Kysely, Migration } from 'kysely';
import type { DatabaseEngine } from '../columns.js';

export type CertificateAuthorityName = 'signature' | 'user-authentication';

export interface JpkiCertificatesTable {
  /** Upper-case hex, as in the certificate. */
  serial: string;
  ca: CertificateAuthorityName;
  subject: string;
  /** DER, base64. */
  der: string;
  not_before: number;
  not_after: number;
  issued_at: number;
  status: 'good' | 'revoked';
  revoked_at: number | null;
  /** RFC 5280 CRLReason code. */
  revocation_reason: number | null;
  /** For a SIM's user-authentication certificate: the applicant card's signature certificate it is linked to. */
  linked_signature_serial: string | null;
  issuance_id: string | null;
  /**
   * For a signature certificate issued to a renewed or re-issued My Number card: the serial of the holder's
   * previous signature certificate (the link relying parties ask for to know it is the same person).
   */
  successor_of: ColumnType<string | null, string | null | undefined, string | null>;
}

export type IssuanceState = 'requested' | 'certificate-issued' | 'delivered' | 'revoked' | 'failed';

export interface JpkiIssuancesTable {
  id: string;
  /** The SP-TSM's reference (its application id): the same request twice is one issuance. */
  request_ref: string;
  signature_serial: string;
  key_generation: 'jpki-system' | 'on-card';
  state: IssuanceState;
  certificate_serial: string | null;
  /** The generated private key wrapped for the SP-TSM; cleared once delivered. */
  wrapped_key: string | null;
  /** The SIM the credential went to (its card authority certificate's SHA-256), once delivered. */
  sim_identity: string | null;
  /** Why the issuance failed, for state `failed`. */
  failure: string | null;
  created_at: number;
  updated_at: number;
}

export interface JpkiCrlNumbersTable {
  ca: CertificateAuthorityName;
  /** The crlNumber of the last CRL issued: only ever grows. */
  number: number;
  /** The last CRL (DER, base64), served again until it is stale. */
  der: string | null;
  this_update: number | null;
  next_update: number | null;
  /** How many revoked certificates that CRL lists: a revocation since makes it stale. */
  revoked_count: number | null;
}

export interface JpkiSystemTables {
  jpki_certificates: JpkiCertificatesTable;
  jpki_issuances: JpkiIssuancesTable;
  jpki_crl_numbers: JpkiCrlNumbersTable;
}

const created = (): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('jpki_certificates')
      .addColumn('serial', 'text', (c) => c.primaryKey())
      .addColumn('ca', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('der', 'text', (c) => c.notNull())
      .addColumn('not_before', 'bigint', (c) => c.notNull())
      .addColumn('not_after', 'bigint', (c) => c.notNull())
      .addColumn('issued_at', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .addColumn('revocation_reason', 'integer')
      .addColumn('linked_signature_serial', 'text')
      .addColumn('issuance_id', 'text')
      .execute();
    await db.schema.createIndex('jpki_certificates_ca_status').on('jpki_certificates').columns(['ca', 'status']).execute();
    await db.schema
      .createTable('jpki_issuances')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('request_ref', 'text', (c) => c.notNull().unique())
      .addColumn('signature_serial', 'text', (c) => c.notNull())
      .addColumn('key_generation', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('certificate_serial', 'text')
      .addColumn('wrapped_key', 'text')
      .addColumn('sim_identity', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('jpki_crl_numbers')
      .addColumn('ca', 'text', (c) => c.primaryKey())
      .addColumn('number', 'bigint', (c) => c.notNull())
      .execute();
  },
});

/** The last CRL kept for reuse, an issuance's failure, and the index the revocation cascade looks up. */
const crlCacheAndFailures = (): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    // One column per statement: SQLite's ALTER TABLE adds one at a time.
    await db.schema.alterTable('jpki_crl_numbers').addColumn('der', 'text').execute();
    await db.schema.alterTable('jpki_crl_numbers').addColumn('this_update', 'bigint').execute();
    await db.schema.alterTable('jpki_crl_numbers').addColumn('next_update', 'bigint').execute();
    await db.schema.alterTable('jpki_crl_numbers').addColumn('revoked_count', 'integer').execute();
    await db.schema.alterTable('jpki_issuances').addColumn('failure', 'text').execute();
    await db.schema.createIndex('jpki_certificates_linked').on('jpki_certificates').column('linked_signature_serial').execute();
    await db.schema.createIndex('jpki_issuances_signature').on('jpki_issuances').column('signature_serial').execute();
  },
});

/** The link from a renewed card's signature certificate to the one it replaces. */
const cardRenewal = (): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('jpki_certificates').addColumn('successor_of', 'text').execute();
  },
});

export const jpkiSystemMigrations = (_engine: DatabaseEngine): Record<string, Migration> => ({
  '2026-11-29-01-jpki-system': created(),
  '2026-11-29-02-jpki-system-crl-cache': crlCacheAndFailures(),
  '2026-11-29-11-jpki-system-card-renewal': cardRenewal(),
});
