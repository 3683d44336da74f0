/**
 * Revocation by serial: the certificate, its SIM issuance, and (for a signature certificate, unless the
 * caller keeps them) the SIM user-authentication certificates linked to it, all in one transaction.
 */
import type { Database, DatabaseTransaction } from '../db/database.js';
import { conflict, notFound } from '../http/errors.js';
import { linkedReason, reasonName } from './reasons.js';
import { findCertificate } from './store.js';

export interface RevokedCertificate {
  readonly serial: string;
  readonly ca: string;
  readonly reason: string;
  readonly reasonCode: number;
  readonly revokedAt: string;
  /** Revoked because the signature certificate it is linked to was. */
  readonly linked: boolean;
}

export interface RevocationOptions {
  /** For a signature certificate: also revoke the SIM certificates linked to it (default true). */
  readonly revokeLinked?: boolean;
  readonly now?: Date;
}

async function revokeOne(trx: DatabaseTransaction, serial: string, issuanceId: string | null, reason: number, at: number): Promise<void> {
  await trx
    .updateTable('jpki_certificates')
    .set({ status: 'revoked', revoked_at: at, revocation_reason: reason })
    .where('serial', '=', serial)
    .where('status', '=', 'good')
    .execute();
  if (issuanceId !== null)
    await trx.updateTable('jpki_issuances').set({ state: 'revoked', wrapped_key: null, updated_at: at }).where('id', '=', issuanceId).execute();
}

/** Revokes `serial` with an RFC 5280 reason code; answers every certificate revoked now. */
export async function revokeCertificate(
  db: Database,
  serial: string,
  reason: number,
  options: RevocationOptions = {},
): Promise<RevokedCertificate[]> {
  const at = (options.now ?? new Date()).getTime();
  return db.transaction().execute(async (trx) => {
    const row = await findCertificate(trx, serial);
    if (!row) throw notFound(`certificate ${serial}`);
    if (row.status === 'revoked') throw conflict('already-revoked', `certificate ${serial} was revoked (${reasonName(row.revocation_reason ?? 0)})`);
    const revoked: RevokedCertificate[] = [];
    const record = (s: string, ca: string, code: number, linked: boolean): void => {
      revoked.push({ serial: s, ca, reason: reasonName(code), reasonCode: code, revokedAt: new Date(at).toISOString(), linked });
    };
    await revokeOne(trx, row.serial, row.issuance_id, reason, at);
    record(row.serial, row.ca, reason, false);
    if (row.ca === 'signature' && options.revokeLinked !== false) {
      const code = linkedReason(reason);
      const linked = await trx
        .selectFrom('jpki_certificates')
        .select(['serial', 'ca', 'issuance_id'])
        .where('linked_signature_serial', '=', row.serial)
        .where('status', '=', 'good')
        .orderBy('serial')
        .execute();
      for (const l of linked) {
        await revokeOne(trx, l.serial, l.issuance_id, code, at);
        record(l.serial, l.ca, code, true);
      }
      // Issuances still waiting for their certificate end here too.
      await trx
        .updateTable('jpki_issuances')
        .set({ state: 'revoked', wrapped_key: null, updated_at: at })
        .where('signature_serial', '=', row.serial)
        .where('state', '=', 'requested')
        .execute();
    }
    return revoked;
  });
}
