/**
 * The database a services benchmark runs on: a fresh SQLite file by default, or a fresh database on the
 * PostgreSQL server a postgres:// URL names (created, and dropped afterwards), so that row counts are
 * the benchmark's own.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describeDatabase, parseDatabaseLocation } from '../src/services/db/database.js';

export interface BenchDatabase {
  /** What startIssuanceSystem takes. */
  readonly url: string;
  /** For the output: engine and place, never a password. */
  readonly label: string;
  readonly engine: 'sqlite' | 'postgres';
  dispose(): Promise<void>;
}

/** A fresh database: a SQLite file in a new temporary folder, or a new database on the server of `server`. */
export async function freshBenchDatabase(server?: string): Promise<BenchDatabase> {
  if (server === undefined || parseDatabaseLocation(server).engine === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'jpki-bench-db-'));
    const url = path.join(dir, 'state.sqlite');
    return {
      url,
      label: describeDatabase(parseDatabaseLocation(url)),
      engine: 'sqlite',
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `jpki_bench_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string): Promise<void> => {
    const client = new pg.Client({ connectionString: server });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(server);
  u.pathname = `/${name}`;
  const url = u.toString();
  return {
    url,
    label: describeDatabase(parseDatabaseLocation(url)),
    engine: 'postgres',
    dispose: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
