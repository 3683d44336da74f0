/**
 * SIM issuances (the source document's steps ⑥–⑨ and ⑯–⑱): keyed by the SP-TSM's request reference,
 * linked to the applicant's signature certificate, with states
 *   requested → certificate-issued → delivered;  revoked;  failed.
 * Either the JPKI system generates the key pair (it answers the key wrapped for the SP-TSM) or the SIM
 * does (the SP-TSM sends its public key to certify). Each state change is one transaction; a repeated
 * request answers the issuance already made.
 */
import { generateKeyPair, randomUUID, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { Database } from '../db/database.js';
import { badRequest, conflict, notFound, ServiceError } from '../http/errors.js';
import type { CertificateIssuer, SignedCertificate, Validity } from './issuer.js';
import type { KeyPool } from './key-pool.js';
import { keyTransportContext, parseWrappedKey, wrapPrivateKey, type WrappedKey } from './key-transport.js';
import { findCertificate, findIssuance, findIssuanceByRequest, insertCertificate, type IssuanceRow } from './store.js';
import { REVOCATION_REASONS } from './reasons.js';
import type { IssuanceState } from '../db/tables/jpki-system.js';
import { x509 } from './webcrypto.js';

const generateRsa = promisify(generateKeyPair);

export type KeyGeneration = 'jpki-system' | 'on-card';

export interface IssuanceRequest {
  readonly requestRef: string;
  readonly signatureSerial: string;
  readonly keyGeneration: KeyGeneration;
}

export interface IssuanceStatus {
  readonly id: string;
  readonly requestRef: string;
  readonly state: IssuanceState;
  readonly keyGeneration: KeyGeneration;
  readonly signatureSerial: string;
  readonly certificateSerial?: string;
  readonly sim?: string;
  readonly failure?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface IssuedCredential {
  readonly issuance: IssuanceStatus;
  readonly certificate: Uint8Array;
  readonly caCertificate: Uint8Array;
  /** For a key the JPKI system generated, until delivery. */
  readonly wrappedKey?: WrappedKey;
}

export function issuanceStatus(row: IssuanceRow): IssuanceStatus {
  return {
    id: row.id,
    requestRef: row.request_ref,
    state: row.state,
    keyGeneration: row.key_generation,
    signatureSerial: row.signature_serial,
    ...(row.certificate_serial !== null ? { certificateSerial: row.certificate_serial } : {}),
    ...(row.sim_identity !== null ? { sim: row.sim_identity } : {}),
    ...(row.failure !== null ? { failure: row.failure } : {}),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

export interface IssuanceOptions {
  readonly db: Database;
  readonly issuer: CertificateIssuer;
  readonly caCertificate: Uint8Array;
  /** The SP-TSM's RSA public key the generated private keys are wrapped to. */
  readonly keyTransportKey?: KeyObject;
  /** For tests: the validity of the certificates issued. */
  readonly validity?: Validity;
  /** Key pairs generated ahead of need (default: generated on demand). */
  readonly keyPool?: KeyPool;
}

export class Issuances {
  constructor(private readonly options: IssuanceOptions) {}

  private get db(): Database {
    return this.options.db;
  }

  async status(id: string): Promise<IssuanceStatus> {
    const row = await findIssuance(this.db, id);
    if (!row) throw notFound(`issuance ${id}`);
    return issuanceStatus(row);
  }

  async statusByRequest(requestRef: string): Promise<IssuanceStatus> {
    const row = await findIssuanceByRequest(this.db, requestRef);
    if (!row) throw notFound(`issuance for request ${requestRef}`);
    return issuanceStatus(row);
  }

  /** Registers the issuance (or finds it again by requestRef); for jpki-system keys, issues at once. */
  async request(request: IssuanceRequest): Promise<{ issuance: IssuanceStatus; created: boolean }> {
    if (request.keyGeneration === 'jpki-system' && !this.options.keyTransportKey) {
      throw new ServiceError(
        503,
        'key-transport-not-configured',
        'this JPKI system has no SP-TSM key-transport key: it cannot hand out generated keys',
      );
    }
    const existing = await findIssuanceByRequest(this.db, request.requestRef);
    let row: IssuanceRow;
    let created = false;
    if (existing) {
      row = this.sameRequest(existing, request);
    } else {
      const now = Date.now();
      const fresh: IssuanceRow = {
        id: randomUUID(),
        request_ref: request.requestRef,
        signature_serial: request.signatureSerial,
        key_generation: request.keyGeneration,
        state: 'requested',
        certificate_serial: null,
        wrapped_key: null,
        sim_identity: null,
        failure: null,
        created_at: now,
        updated_at: now,
      };
      try {
        await this.db.transaction().execute(async (trx) => {
          const signature = await findCertificate(trx, request.signatureSerial);
          if (!signature || signature.ca !== 'signature')
            throw conflict('unknown-signature-certificate', `no signature certificate ${request.signatureSerial} was issued by this JPKI system`);
          if (signature.status !== 'good')
            throw conflict('signature-certificate-revoked', `signature certificate ${request.signatureSerial} is revoked`);
          if (signature.not_after < now)
            throw conflict('signature-certificate-expired', `signature certificate ${request.signatureSerial} has expired`);
          await trx.insertInto('jpki_issuances').values(fresh).execute();
        });
        row = fresh;
        created = true;
      } catch (e) {
        if (e instanceof ServiceError) throw e;
        // The same request raced in: answer the issuance the other one made.
        const raced = await findIssuanceByRequest(this.db, request.requestRef);
        if (!raced) throw e;
        row = this.sameRequest(raced, request);
      }
    }
    if (row.state === 'requested' && row.key_generation === 'jpki-system') row = await this.generate(row);
    return { issuance: issuanceStatus(row), created };
  }

  private sameRequest(row: IssuanceRow, request: IssuanceRequest): IssuanceRow {
    if (row.signature_serial !== request.signatureSerial || row.key_generation !== request.keyGeneration) {
      throw conflict('request-ref-reused', `request ${request.requestRef} was made with another signature certificate or key generation`);
    }
    return row;
  }

  /** Stores the certificate and moves `requested` → `certificate-issued`, or answers the row as it now is. */
  private async complete(row: IssuanceRow, signed: SignedCertificate, wrappedKey: WrappedKey | null): Promise<IssuanceRow> {
    const now = Date.now();
    const done = await this.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('jpki_issuances')
        .set({
          state: 'certificate-issued',
          certificate_serial: signed.serial,
          wrapped_key: wrappedKey ? JSON.stringify(wrappedKey) : null,
          updated_at: now,
        })
        .where('id', '=', row.id)
        .where('state', '=', 'requested')
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) return false;
      await insertCertificate(trx, signed.row);
      return true;
    });
    const current = await findIssuance(this.db, row.id);
    if (!current) throw notFound(`issuance ${row.id}`);
    if (!done && current.state === 'requested') throw conflict('issuance-busy', `issuance ${row.id} is changing; ask again`);
    return current;
  }

  private async generate(row: IssuanceRow): Promise<IssuanceRow> {
    const transport = this.options.keyTransportKey!;
    let signed: SignedCertificate;
    let wrapped: WrappedKey;
    try {
      const { publicKey, privateKey } = this.options.keyPool ? await this.options.keyPool.take() : await generateRsa('rsa', { modulusLength: 2048 });
      const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
      signed = await this.options.issuer.userAuthentication({
        subjectPublicKeyInfo: spki,
        linkedSignatureSerial: row.signature_serial,
        issuanceId: row.id,
        ...(this.options.validity ? { validity: this.options.validity } : {}),
      });
      wrapped = wrapPrivateKey(privateKey, transport, keyTransportContext(row.id, signed.serial));
    } catch (e) {
      const failure = e instanceof Error ? e.message : String(e);
      await this.db
        .updateTable('jpki_issuances')
        .set({ state: 'failed', failure, updated_at: Date.now() })
        .where('id', '=', row.id)
        .where('state', '=', 'requested')
        .execute();
      throw new ServiceError(500, 'issuance-failed', `issuance ${row.id} failed: ${failure}`);
    }
    return this.complete(row, signed, wrapped);
  }

  /** Certifies the public key a SIM generated (on-card issuance). The same key again answers the same certificate. */
  async certify(id: string, subjectPublicKeyInfo: Uint8Array): Promise<IssuedCredential> {
    const row = await findIssuance(this.db, id);
    if (!row) throw notFound(`issuance ${id}`);
    if (row.key_generation !== 'on-card') throw conflict('wrong-key-generation', `issuance ${id} generates its key in the JPKI system`);
    if (row.state === 'requested') {
      const signed = await this.options.issuer.userAuthentication({
        subjectPublicKeyInfo,
        linkedSignatureSerial: row.signature_serial,
        issuanceId: row.id,
        ...(this.options.validity ? { validity: this.options.validity } : {}),
      });
      await this.complete(row, signed, null);
    }
    const credential = await this.credential(id);
    const certified = Buffer.from(new x509.X509Certificate(credential.certificate).publicKey.rawData);
    if (certified.equals(Buffer.from(subjectPublicKeyInfo))) return credential;
    if (credential.issuance.state !== 'certificate-issued')
      throw conflict('already-certified', `issuance ${id} already certified another public key`);
    return this.supersede(id, credential.issuance.certificateSerial ?? '', subjectPublicKeyInfo);
  }

  /**
   * A write that was cut short after the SIM generated its key generates a new one when it resumes:
   * until the credential is delivered, the new key's certificate replaces the old one, which is
   * revoked (superseded) in the same transaction — its key never left that interrupted write.
   */
  private async supersede(id: string, previousSerial: string, subjectPublicKeyInfo: Uint8Array): Promise<IssuedCredential> {
    const row = await findIssuance(this.db, id);
    if (!row) throw notFound(`issuance ${id}`);
    const signed = await this.options.issuer.userAuthentication({
      subjectPublicKeyInfo,
      linkedSignatureSerial: row.signature_serial,
      issuanceId: row.id,
      ...(this.options.validity ? { validity: this.options.validity } : {}),
    });
    const now = Date.now();
    const replaced = await this.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('jpki_issuances')
        .set({ certificate_serial: signed.serial, updated_at: now })
        .where('id', '=', id)
        .where('state', '=', 'certificate-issued')
        .where('certificate_serial', '=', previousSerial)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) return false;
      await trx
        .updateTable('jpki_certificates')
        .set({ status: 'revoked', revoked_at: now, revocation_reason: REVOCATION_REASONS.superseded })
        .where('serial', '=', previousSerial)
        .where('status', '=', 'good')
        .execute();
      await insertCertificate(trx, signed.row);
      return true;
    });
    if (!replaced) throw conflict('issuance-busy', `issuance ${id} is changing; ask again`);
    return this.credential(id);
  }

  /** The certificate (and, until delivery, the wrapped key) of an issued credential. */
  async credential(id: string): Promise<IssuedCredential> {
    const row = await findIssuance(this.db, id);
    if (!row) throw notFound(`issuance ${id}`);
    if (row.state === 'requested') throw conflict('not-issued-yet', `issuance ${id} has no certificate yet`);
    if (row.state === 'revoked' || row.state === 'failed') throw conflict(`issuance-${row.state}`, `issuance ${id} is ${row.state}`);
    const certificate = row.certificate_serial !== null ? await findCertificate(this.db, row.certificate_serial) : undefined;
    if (!certificate) throw notFound(`certificate of issuance ${id}`);
    return {
      issuance: issuanceStatus(row),
      certificate: new Uint8Array(Buffer.from(certificate.der, 'base64')),
      caCertificate: this.options.caCertificate,
      ...(row.wrapped_key !== null ? { wrappedKey: parseWrappedKey(JSON.parse(row.wrapped_key) as unknown) } : {}),
    };
  }

  /** Records that the credential reached the SIM `sim`; the wrapped key is forgotten. Repeating it is harmless. */
  async markDelivered(id: string, sim: string): Promise<IssuanceStatus> {
    if (sim === '') throw badRequest('missing-sim', 'the SIM identity is required');
    const now = Date.now();
    return this.db.transaction().execute(async (trx) => {
      const row = await findIssuance(trx, id);
      if (!row) throw notFound(`issuance ${id}`);
      if (row.state === 'delivered') {
        if (row.sim_identity !== sim) throw conflict('delivered-elsewhere', `issuance ${id} was delivered to another SIM`);
        return issuanceStatus(row);
      }
      if (row.state !== 'certificate-issued') throw conflict('not-deliverable', `issuance ${id} is ${row.state}`);
      await trx
        .updateTable('jpki_issuances')
        .set({ state: 'delivered', sim_identity: sim, wrapped_key: null, updated_at: now })
        .where('id', '=', id)
        .execute();
      return issuanceStatus({ ...row, state: 'delivered', sim_identity: sim, wrapped_key: null, updated_at: now });
    });
  }
}
