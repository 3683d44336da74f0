/**
 * Migrations, one ordered list for both engines. Each role contributes its own steps; the names sort in
 * the order they were written, which is the order Kysely applies them (and records them, so a second
 * run changes nothing).
 */
import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import { HarnessError } from '../../errors.js';
import { jpkiSystemMigrations } from './tables/jpki-system.js';
import { mnoTsmMigrations } from './tables/mno-tsm.js';
import { relyingPartyMigrations } from './tables/relying-party.js';
import { spTsmMigrations } from './tables/sp-tsm.js';
import type { Database, DatabaseEngine } from './database.js';

export class MigrationError extends HarnessError {
  readonly exitCode = 3;
}

class StaticProvider implements MigrationProvider {
  constructor(private readonly engine: DatabaseEngine) {}
  getMigrations(): Promise<Record<string, Migration>> {
    const e = this.engine;
    return Promise.resolve({ ...jpkiSystemMigrations(e), ...spTsmMigrations(e), ...mnoTsmMigrations(e), ...relyingPartyMigrations(e) });
  }
}

/** Brings the schema up to date; returns the names of the migrations applied now. */
export async function migrateToLatest(db: Database, engine: DatabaseEngine): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new StaticProvider(engine) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw new MigrationError(`database migration failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`);
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
