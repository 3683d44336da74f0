/** The MNO-TSM's state: one row per installation it was asked for, and its steps. */
import type { Generated, Kysely, Migration } from 'kysely';
import { serialColumn, type DatabaseEngine } from '../columns.js';

export type InstallationState = 'requested' | 'running' | 'handed-over' | 'failed';

export interface MnoInstallationsTable {
  id: string;
  /** Who asked (the SP-TSM's name) and its reference: one request, one installation. */
  requested_by: string;
  request_ref: string;
  /** The SIM: SHA-256 of its card authority certificate. */
  card: string;
  ssd_aid: string;
  state: InstallationState;
  /** SHA-256 of the bearer token of its remote session; the token itself is never stored. */
  token_hash: string;
  /** The card's key diversification data, learnt in the session: the SSD's first keys derive from it. */
  kdd: string | null;
  created_at: number;
  updated_at: number;
  /**
   * The operator whose MNO-TSM took the request (one database may hold several operators' TSMs); null on
   * rows from before operators were named.
   */
  operator: string | null;
}

export interface MnoEventsTable {
  id: Generated<number>;
  installation_id: string;
  at: number;
  step: string;
  detail: string;
}

export interface MnoTsmTables {
  mno_installations: MnoInstallationsTable;
  mno_events: MnoEventsTable;
}

const created = (engine: DatabaseEngine): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('mno_installations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('requested_by', 'text', (c) => c.notNull())
      .addColumn('request_ref', 'text', (c) => c.notNull())
      .addColumn('card', 'text', (c) => c.notNull())
      .addColumn('ssd_aid', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull())
      .addColumn('kdd', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('mno_installations_request', ['requested_by', 'request_ref'])
      .execute();
    await db.schema
      .createTable('mno_events')
      .$call(serialColumn(engine))
      .addColumn('installation_id', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('step', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull().defaultTo(''))
      .execute();
  },
});

const operators: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('mno_installations').addColumn('operator', 'text').execute();
  },
};

export const mnoTsmMigrations = (engine: DatabaseEngine): Record<string, Migration> => ({
  '2026-11-29-03-mno-tsm': created(engine),
  '2026-11-29-09-mno-tsm-operators': operators,
});
