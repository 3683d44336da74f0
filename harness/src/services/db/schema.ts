/** The whole schema: each role declares its own tables beside its code; this joins them for Kysely. */
import type { JpkiSystemTables } from '../jpki-system/tables.js';
import type { MnoTsmTables } from '../mno-tsm/tables.js';
import type { SpTsmTables } from '../sp-tsm/tables.js';

export interface Schema extends JpkiSystemTables, SpTsmTables, MnoTsmTables {}
