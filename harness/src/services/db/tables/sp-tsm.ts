/**
 * The SP-TSM's state. An application moves through its states by one row update per transition, each in
 * one transaction, guarded by the state it leaves (`where state = …`), so a crash between two steps
 * leaves a row that says exactly where the flow stands and a second worker can never take the same step.
 */
import type { ColumnType, Generated, Kysely, Migration } from 'kysely';
import { serialColumn, type DatabaseEngine } from '../columns.js';

export type ApplicationState =
  | 'received' // signature, chain and revocation checked; password hashed; access code not yet sent
  | 'awaiting-write' // access code delivered out of band; the applicant may authorise the write
  | 'locked' // too many failed write authorisations
  | 'writing' // a write session is running (installation, then personalisation)
  | 'personalised' // the SIM holds the credential
  | 'revoked' // the applicant ended it (lost or stolen phone, withdrawn): the SIM certificate is revoked
  | 'transferred' // moved to another SIM by a newer application (`replaces`): the SIM certificate is revoked
  | 'failed'; // given up; the reason is in the last event

/** What a remote session does on the SIM. */
export type SessionKind =
  | 'write' // installation and personalisation (⑭–⑱)
  | 'pin-reset' // a new PIN after re-identification
  | 'renewal' // a new key and certificate in place of the old, PIN kept
  | 'termination'; // the applet erases key, certificates and PIN for good (revocation, transfer)

export interface ApplicationsTable {
  id: string;
  /** SHA-256 of the signed application bytes: the same application is stored once, however often it arrives. */
  application_digest: string;
  created_at: number;
  updated_at: number;
  state: ApplicationState;
  /** The signer (the applicant's My Number card signature certificate). */
  signer_serial: string;
  signer_subject: string;
  signer_certificate: string;
  /** The designated SIM: SHA-256 of its card authority (CASD) certificate, and the identity it certifies (IIN ‖ CIN, hex). */
  designated_card: string;
  designated_card_identity: string;
  key_generation: 'jpki-system' | 'on-card';
  pin_policy: 'pin-required' | 'pin-less';
  /** scrypt parameters, salt and hash of the password the applicant chose. */
  password_hash: string;
  access_code_hash: string | null;
  access_code_expires_at: number | null;
  failed_attempts: number;
  /** Where the access code goes (a mailbox name). */
  contact: string;
  /** The JPKI system's issuance for this application. */
  issuance_id: string | null;
  /** Set once personalised: the key's SPKI fingerprint on the SIM. */
  key_fingerprint: string | null;
  /** The application whose credential this one takes over (a transfer to another SIM). */
  replaces: string | null;
  /** When the applet on the designated SIM was terminated (after revocation or transfer). */
  terminated_at: number | null;
  /** The mobile operator whose SIM it is (its MNO-TSM installs the applet); null on rows from before operators: the default operator. */
  operator: string | null;
  /**
   * How the SP's domain on the SIM is opened, recorded at the takeover (the SCP and i-parameter the domain
   * speaks, the version of the SP's key set there); null before, and on rows from before operators (SCP03).
   */
  domain_scp: number | null;
  domain_i: number | null;
  domain_key_version: number | null;
}

export interface WriteSessionsTable {
  id: string;
  application_id: string;
  /** SHA-256 of the bearer token the device agent presents; the token itself is never stored. */
  token_hash: string;
  created_at: number;
  expires_at: number;
  state: 'open' | 'running' | 'done' | 'failed';
  /** The SIM credential's first PIN, sealed under a key derived from the session token (which only the agent holds). */
  pin_sealed: string;
  /** What the session does on the SIM. */
  kind: ColumnType<SessionKind, SessionKind | undefined, SessionKind>;
  /** For a renewal: the JPKI system's issuance of the new certificate. */
  issuance_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface SpTsmEventsTable {
  id: Generated<number>;
  application_id: string;
  at: number;
  step: string;
  detail: string;
}

export interface SpTsmTables {
  sp_applications: ApplicationsTable;
  sp_write_sessions: WriteSessionsTable;
  sp_events: SpTsmEventsTable;
}

const created = (engine: DatabaseEngine): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('sp_applications')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_digest', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('signer_serial', 'text', (c) => c.notNull())
      .addColumn('signer_subject', 'text', (c) => c.notNull())
      .addColumn('signer_certificate', 'text', (c) => c.notNull())
      .addColumn('designated_card', 'text', (c) => c.notNull())
      .addColumn('designated_card_identity', 'text', (c) => c.notNull())
      .addColumn('key_generation', 'text', (c) => c.notNull())
      .addColumn('pin_policy', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('access_code_hash', 'text')
      .addColumn('access_code_expires_at', 'bigint')
      .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('contact', 'text', (c) => c.notNull())
      .addColumn('issuance_id', 'text')
      .addColumn('key_fingerprint', 'text')
      .execute();
    await db.schema.createIndex('sp_applications_state').on('sp_applications').column('state').execute();
    await db.schema
      .createTable('sp_write_sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.notNull().references('sp_applications.id'))
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('pin_sealed', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('sp_events')
      .$call(serialColumn(engine))
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('step', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull().defaultTo(''))
      .execute();
    await db.schema.createIndex('sp_events_application').on('sp_events').column('application_id').execute();
  },
});

const sessionKinds: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('sp_write_sessions')
      .addColumn('kind', 'text', (c) => c.notNull().defaultTo('write'))
      .execute();
  },
};

/** Renewal, transfer and termination: the new issuance a renewal session writes, the replaced application, the termination time. */
const lifeCycle: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('sp_write_sessions').addColumn('issuance_id', 'text').execute();
    await db.schema.alterTable('sp_applications').addColumn('replaces', 'text').execute();
    await db.schema.alterTable('sp_applications').addColumn('terminated_at', 'bigint').execute();
    await db.schema.createIndex('sp_applications_replaces').on('sp_applications').column('replaces').execute();
  },
};

const operators: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('sp_applications').addColumn('operator', 'text').execute();
    await db.schema.alterTable('sp_applications').addColumn('domain_scp', 'integer').execute();
    await db.schema.alterTable('sp_applications').addColumn('domain_i', 'integer').execute();
    await db.schema.alterTable('sp_applications').addColumn('domain_key_version', 'integer').execute();
  },
};

export const spTsmMigrations = (engine: DatabaseEngine): Record<string, Migration> => ({
  '2026-11-29-02-sp-tsm': created(engine),
  '2026-11-29-05-sp-tsm-session-kinds': sessionKinds,
  '2026-11-29-07-sp-tsm-life-cycle': lifeCycle,
  '2026-11-29-10-sp-tsm-operators': operators,
});
