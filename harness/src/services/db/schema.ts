/** The whole schema: each role declares its own tables beside its code; this joins them for Kysely. */
import type { JpkiSystemTables } from './tables/jpki-system.js';
import type { MnoTsmTables } from './tables/mno-tsm.js';
import type { RelyingPartyTables } from './tables/relying-party.js';
import type { SpTsmTables } from './tables/sp-tsm.js';

export interface Schema extends JpkiSystemTables, SpTsmTables, MnoTsmTables, RelyingPartyTables {}
