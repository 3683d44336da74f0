/**
 * The databases every services suite runs on: a fresh SQLite file always, and a fresh PostgreSQL database
 * when a server is reachable (scripts/lib.sh starts Debian's on CI and exports JPKI_TEST_POSTGRES_URL).
 * A missing PostgreSQL is announced loudly, never silently skipped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type OpenedDatabase } from '../../src/services/db/database.js';
import { migrateToLatest } from '../../src/services/db/migrate.js';
import { startIssuanceSystem, type IssuanceSystemOptions, type RunningIssuanceSystem } from '../../src/services/issuance-system.js';
import { announceSkip } from '../support.js';

export interface TestDatabase {
  readonly name: 'sqlite' | 'postgres';
  /** Creates a fresh, migrated database; `dispose` drops it. */
  create(): Promise<{ opened: OpenedDatabase; url: string; dispose: () => Promise<void> }>;
}

const postgresUrl = process.env.JPKI_TEST_POSTGRES_URL;

/** Opens and migrates a database; `cleanup` runs after it is closed. */
async function migrated(url: string, cleanup: () => Promise<void>): Promise<{ opened: OpenedDatabase; url: string; dispose: () => Promise<void> }> {
  const opened = await openDatabase(url);
  await migrateToLatest(opened.db, opened.engine);
  return {
    opened,
    url,
    dispose: async () => {
      await opened.db.destroy();
      await cleanup();
    },
  };
}

const sqlite: TestDatabase = {
  name: 'sqlite',
  create() {
    const dir = mkdtempSync(path.join(tmpdir(), 'jpki-db-'));
    return migrated(path.join(dir, 'state.sqlite'), () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    });
  },
};

const postgres = (admin: string): TestDatabase => ({
  name: 'postgres',
  async create() {
    const name = `jpki_test_${randomBytes(6).toString('hex')}`;
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query(`CREATE DATABASE ${name}`);
    await client.end();
    const u = new URL(admin);
    u.pathname = `/${name}`;
    return migrated(u.toString(), async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    });
  },
});

/** SQLite, plus PostgreSQL when JPKI_TEST_POSTGRES_URL names a reachable server. */
export function testDatabases(suite: string): TestDatabase[] {
  if (!postgresUrl) {
    announceSkip(
      `${suite} on PostgreSQL`,
      "JPKI_TEST_POSTGRES_URL is not set (scripts/test.sh starts Debian's PostgreSQL and sets it when run as root)",
    );
    return [sqlite];
  }
  return [sqlite, postgres(postgresUrl)];
}

export interface SystemOnDatabase {
  readonly system: RunningIssuanceSystem;
  /** The database the system runs on: its URL (for a second system on the same state) and an open handle. */
  readonly url: string;
  readonly opened: OpenedDatabase;
  /** Closes the system, then drops the database. */
  readonly close: () => Promise<void>;
}

/**
 * A fresh database of `database` with the issuance system started on it (mailbox in a new temporary folder):
 * what a services suite starts before its tests and closes after them.
 */
export async function startSystemOn(
  database: TestDatabase,
  options: Omit<IssuanceSystemOptions, 'database' | 'dataDirectory'> = {},
): Promise<SystemOnDatabase> {
  const created = await database.create();
  let system: RunningIssuanceSystem;
  try {
    system = await startIssuanceSystem({ ...options, database: created.url, dataDirectory: mkdtempSync(path.join(tmpdir(), 'jpki-suite-')) });
  } catch (e) {
    await created.dispose();
    throw e;
  }
  return {
    system,
    url: created.url,
    opened: created.opened,
    close: async () => {
      await system.close();
      await created.dispose();
    },
  };
}
