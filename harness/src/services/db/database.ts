/**
 * The services' state store: one schema, two engines. A SQLite file is the embedded default (nothing to
 * install, one process); PostgreSQL serves a deployment that outgrows one machine. Everything above this
 * module speaks Kysely, so the same queries and the same migrations run on both.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely';
import { HarnessError } from '../../errors.js';
import type { DatabaseEngine } from './columns.js';
import type { Schema } from './schema.js';

export type Database = Kysely<Schema>;
export type DatabaseTransaction = Transaction<Schema>;
export type { DatabaseEngine };

export class DatabaseConfigError extends HarnessError {
  readonly exitCode = 2;
}

/** Where the state lives: a `postgres://` URL, or a SQLite file path (`sqlite:` prefix optional). */
export interface DatabaseLocation {
  readonly engine: DatabaseEngine;
  /** File path for SQLite, connection string for PostgreSQL. */
  readonly target: string;
}

export function parseDatabaseLocation(url: string): DatabaseLocation {
  if (/^postgres(ql)?:\/\//.test(url)) return { engine: 'postgres', target: url };
  const file = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : url;
  if (file === '') throw new DatabaseConfigError('database: empty SQLite file name');
  return { engine: 'sqlite', target: file };
}

/** A redacted form of the location for logs: never the password of a connection string. */
export function describeDatabase(location: DatabaseLocation): string {
  if (location.engine === 'sqlite') return `SQLite ${location.target}`;
  const u = new URL(location.target);
  if (u.password) u.password = '***';
  return `PostgreSQL ${u.toString()}`;
}

export interface OpenedDatabase {
  readonly db: Database;
  readonly engine: DatabaseEngine;
  readonly description: string;
}

/**
 * Opens the database (creating a SQLite file's folder). SQLite runs in WAL mode with full
 * synchronisation, so a committed transition survives a kill -9 and a power cut; PostgreSQL's
 * 64-bit integers come back as numbers (every counter here stays far below 2^53).
 */
export async function openDatabase(url: string): Promise<OpenedDatabase> {
  const location = parseDatabaseLocation(url);
  if (location.engine === 'sqlite') {
    const { default: SQLite } = await import('better-sqlite3');
    if (location.target !== ':memory:') mkdirSync(path.dirname(path.resolve(location.target)), { recursive: true });
    const connection = new SQLite(location.target);
    connection.pragma('journal_mode = WAL');
    connection.pragma('synchronous = FULL');
    connection.pragma('foreign_keys = ON');
    connection.pragma('busy_timeout = 5000');
    const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: connection }) });
    return { db, engine: 'sqlite', description: describeDatabase(location) };
  }
  const pg = await import('pg');
  pg.default.types.setTypeParser(pg.default.types.builtins.INT8, (value: string) => Number(value));
  const pool = new pg.default.Pool({ connectionString: location.target, max: 10 });
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`select 1`.execute(db);
  } catch (e) {
    await db.destroy();
    throw new DatabaseConfigError(`${describeDatabase(location)}: ${(e as Error).message}`);
  }
  return { db, engine: 'postgres', description: describeDatabase(location) };
}
