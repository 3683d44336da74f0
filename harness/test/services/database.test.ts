import { testDatabases } from './databases.js';
import { openDatabase } from '../../src/services/db/database.js';
import { migrateToLatest } from '../../src/services/db/migrate.js';

describe.each(testDatabases('database schema'))('the services schema on $name', (database) => {
  test('migrates once; a second run applies nothing; tables take and give back rows', async () => {
    const { opened, url, dispose } = await database.create();
    try {
      const again = await openDatabase(url);
      expect(await migrateToLatest(again.db, again.engine)).toEqual([]);
      await again.db.destroy();
      await opened.db
        .insertInto('sp_events')
        .values([
          { application_id: 'a', at: 1_764_000_000_000, step: 'one', detail: '' },
          { application_id: 'a', at: 1_764_000_000_001, step: 'two', detail: 'x' },
        ])
        .execute();
      const rows = await opened.db.selectFrom('sp_events').selectAll().orderBy('id').execute();
      expect(rows.map((r) => [r.step, r.detail, typeof r.id, r.at])).toEqual([
        ['one', '', 'number', 1_764_000_000_000],
        ['two', 'x', 'number', 1_764_000_000_001],
      ]);
    } finally {
      await dispose();
    }
  });
});
