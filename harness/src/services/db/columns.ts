/** Column shapes that the two engines spell differently. */
import type { CreateTableBuilder } from 'kysely';
/** Which engine a database runs on: the SQLite file or PostgreSQL. */
export type DatabaseEngine = 'sqlite' | 'postgres';

/** An `id` primary key the database numbers itself: INTEGER PRIMARY KEY in SQLite, an identity column in PostgreSQL. */
export function serialColumn(engine: DatabaseEngine) {
  return <T extends string, C extends string>(table: CreateTableBuilder<T, C>): CreateTableBuilder<T, C | 'id'> =>
    engine === 'sqlite'
      ? table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      : table.addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity());
}
