/**
 * One X.509 v2 CRL per issuing CA, signed by the CA (sha256WithRSA): every certificate it revoked with
 * its reason, a crlNumber that only grows (persisted with the CRL) and a nextUpdate. The CRL is issued
 * afresh when a revocation made the last one stale or half of its period has passed; otherwise the
 * stored one is served again, so fetching does not burn CRL numbers.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import type { Database } from '../db/database.js';
import type { JpkiPki } from './pki.js';
import { countRevoked, revokedCertificates } from './store.js';
import type { CertificateAuthorityName } from '../db/tables/jpki-system.js';
import { asX509Key, RSA_SHA256, x509 } from './webcrypto.js';

export const DEFAULT_CRL_PERIOD_MS = 24 * 60 * 60 * 1000;

export interface CrlOptions {
  readonly now?: Date;
  /** thisUpdate → nextUpdate (default one day). */
  readonly periodMs?: number;
}

export interface IssuedCrl {
  readonly der: Uint8Array;
  readonly number: number;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

/** An RFC 5280 reason code as @peculiar/x509's enum (the same numbers). */
function crlReason(code: number): x509.X509CrlReason {
  const reason = Object.values(x509.X509CrlReason).find((v): v is x509.X509CrlReason => Number(v) === code);
  if (reason === undefined) throw new RangeError(`no CRL reason ${code}`);
  return reason;
}

async function signCrl(
  pki: JpkiPki,
  ca: CertificateAuthorityName,
  db: Database,
  number: number,
  thisUpdate: Date,
  nextUpdate: Date,
): Promise<Uint8Array> {
  const authority = pki.authorities[ca];
  const revoked = await revokedCertificates(db, ca);
  const crl = await x509.X509CrlGenerator.create({
    issuer: authority.certificate.subjectName,
    thisUpdate,
    nextUpdate,
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- see asX509Key
    signingKey: asX509Key(authority.signingKey),
    signingAlgorithm: RSA_SHA256,
    extensions: [
      await x509.AuthorityKeyIdentifierExtension.create(authority.certificate.publicKey.rawData),
      new x509.Extension(asn1X509.id_ce_cRLNumber, false, AsnConvert.serialize(new asn1X509.CRLNumber(number))),
    ],
    entries: revoked.map((r) => ({
      serialNumber: r.serial,
      revocationDate: new Date(r.revoked_at ?? r.issued_at),
      ...(r.revocation_reason !== null && r.revocation_reason !== 0 ? { reason: crlReason(r.revocation_reason) } : {}),
    })),
  });
  return new Uint8Array(crl.rawData);
}

/** The current CRL of `ca`, issuing a new one (crlNumber + 1) when the stored one is stale. */
export async function currentCrl(db: Database, pki: JpkiPki, ca: CertificateAuthorityName, options: CrlOptions = {}): Promise<IssuedCrl> {
  const now = options.now ?? new Date();
  const period = options.periodMs ?? DEFAULT_CRL_PERIOD_MS;
  for (let attempt = 0; attempt < 5; attempt++) {
    await db
      .insertInto('jpki_crl_numbers')
      .values({ ca, number: 0, der: null, this_update: null, next_update: null, revoked_count: null })
      .onConflict((oc) => oc.column('ca').doNothing())
      .execute();
    const stored = await db.selectFrom('jpki_crl_numbers').selectAll().where('ca', '=', ca).executeTakeFirstOrThrow();
    const revokedNow = await countRevoked(db, ca);
    const fresh =
      stored.der !== null &&
      stored.this_update !== null &&
      stored.next_update !== null &&
      stored.revoked_count === revokedNow &&
      now.getTime() < stored.this_update + (stored.next_update - stored.this_update) / 2 &&
      now.getTime() >= stored.this_update;
    if (fresh) {
      return {
        der: new Uint8Array(Buffer.from(stored.der!, 'base64')),
        number: stored.number,
        thisUpdate: new Date(stored.this_update!),
        nextUpdate: new Date(stored.next_update!),
      };
    }
    const number = stored.number + 1;
    const thisUpdate = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const nextUpdate = new Date(thisUpdate.getTime() + period);
    // Counted before signing: a revocation that lands meanwhile leaves this CRL stale, never hides itself.
    const der = await signCrl(pki, ca, db, number, thisUpdate, nextUpdate);
    const updated = await db
      .updateTable('jpki_crl_numbers')
      .set({
        number,
        der: Buffer.from(der).toString('base64'),
        this_update: thisUpdate.getTime(),
        next_update: nextUpdate.getTime(),
        revoked_count: revokedNow,
      })
      .where('ca', '=', ca)
      .where('number', '=', stored.number)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 1) return { der, number, thisUpdate, nextUpdate };
    // Another request issued the next CRL first: serve that one (or try again).
  }
  throw new Error(`CRL of ${ca}: too many concurrent issuers`);
}
