/** The certificates the test JPKI system issued, with their revocation status: reads and writes. */
import type { Insertable, Selectable } from 'kysely';
import type { Database, DatabaseTransaction } from '../db/database.js';
import type { CertificateAuthorityName, JpkiCertificatesTable, JpkiIssuancesTable } from '../db/tables/jpki-system.js';

export type CertificateRow = Selectable<JpkiCertificatesTable>;
export type NewCertificateRow = Insertable<JpkiCertificatesTable>;
export type IssuanceRow = Selectable<JpkiIssuancesTable>;

type Executor = Database | DatabaseTransaction;

export async function insertCertificate(db: Executor, row: NewCertificateRow): Promise<void> {
  await db.insertInto('jpki_certificates').values(row).execute();
}

export async function findCertificate(db: Executor, serial: string): Promise<CertificateRow | undefined> {
  return db.selectFrom('jpki_certificates').selectAll().where('serial', '=', serial).executeTakeFirst();
}

/** The revoked certificates of one CA, oldest revocation first: a CRL's entries. */
export async function revokedCertificates(db: Executor, ca: CertificateAuthorityName): Promise<CertificateRow[]> {
  return db
    .selectFrom('jpki_certificates')
    .selectAll()
    .where('ca', '=', ca)
    .where('status', '=', 'revoked')
    .orderBy('revoked_at')
    .orderBy('serial')
    .execute();
}

export async function countRevoked(db: Executor, ca: CertificateAuthorityName): Promise<number> {
  const row = await db
    .selectFrom('jpki_certificates')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('ca', '=', ca)
    .where('status', '=', 'revoked')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findIssuance(db: Executor, id: string): Promise<IssuanceRow | undefined> {
  return db.selectFrom('jpki_issuances').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findIssuanceByRequest(db: Executor, requestRef: string): Promise<IssuanceRow | undefined> {
  return db.selectFrom('jpki_issuances').selectAll().where('request_ref', '=', requestRef).executeTakeFirst();
}
