/**
 * The test JPKI system as an HTTP service: issuance for the SP-TSM, signature certificates for test
 * cards, the validity check, revocation, CRLs, OCSP and the CA certificates. JSON bodies carry DER as
 * base64; refusals are ServiceErrors. All state is in the database.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Database } from '../db/database.js';
import { badRequest, notFound } from '../http/errors.js';
import { startService, type RequestContext, type Route, type RunningService, type ServiceOptions } from '../http/server.js';
import { currentCrl } from './crl.js';
import { KeyPool } from './key-pool.js';
import { Issuances, type IssuedCredential } from './issuance.js';
import { CertificateIssuer, type BaseUrl } from './issuer.js';
import { answerOcsp, malformedOcspResponse, OCSP_RESPONSE_TYPE } from './ocsp.js';
import { CERTIFICATE_AUTHORITY_NAMES, type CertificateAuthorityName, type JpkiPki } from './pki.js';
import type { Applicant } from './profiles.js';
import { parseReason, reasonName } from './reasons.js';
import { revokeCertificate } from './revocation.js';
import { isSerial, normaliseSerial } from './serials.js';
import { SignatureCertificateAuthority } from './signature-authority.js';
import { findCertificate } from './store.js';
import { checkSignatureCertificate } from './validity.js';

export interface JpkiSystemOptions {
  readonly db: Database;
  readonly pki: JpkiPki;
  /** The SP-TSM's RSA public key (KeyObject or PEM) that generated private keys are wrapped to. */
  readonly spTsmKeyTransportPublicKey?: KeyObject | string;
  /** The service's public URL, written into certificates (CRL distribution point, AIA). */
  readonly baseUrl: BaseUrl;
  /** CRL period (thisUpdate → nextUpdate), default one day. */
  readonly crlPeriodMs?: number;
  /** OCSP answer validity, default one hour. */
  readonly ocspValidityMs?: number;
  /** Key pairs kept ready for keys the JPKI system generates (default 2; 0 generates on demand). */
  readonly keyPoolSize?: number;
}

type Body = Record<string, unknown>;

function body(request: RequestContext): Body {
  const value = request.json();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest('malformed-body', 'the body must be a JSON object');
  return value as Body;
}

function text(b: Body, field: string, optional?: false): string;
function text(b: Body, field: string, optional: true): string | undefined;
function text(b: Body, field: string, optional = false): string | undefined {
  const v = b[field];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string' || v === '') throw badRequest('missing-field', `${field} must be a non-empty string`);
  return v;
}

function der(b: Body, field: string): Uint8Array {
  const v = text(b, field);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(v)) throw badRequest('malformed-base64', `${field} must be base64 DER`);
  return new Uint8Array(Buffer.from(v, 'base64'));
}

function applicantOf(b: Body): Applicant | undefined {
  const a = b.applicant;
  if (a === undefined) return undefined;
  if (typeof a !== 'object' || a === null) throw badRequest('malformed-applicant', 'applicant must be an object');
  const o = a as Body;
  const dateOfBirth = text(o, 'dateOfBirth', true);
  const gender = text(o, 'gender', true);
  return { name: text(o, 'name'), address: text(o, 'address'), ...(dateOfBirth ? { dateOfBirth } : {}), ...(gender ? { gender } : {}) };
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

function credentialJson(c: IssuedCredential): unknown {
  return {
    issuance: c.issuance,
    certificate: b64(c.certificate),
    caCertificate: b64(c.caCertificate),
    ...(c.wrappedKey ? { wrappedKey: c.wrappedKey } : {}),
  };
}

function caFromFile(file: string, extension: string, withRoot: boolean): CertificateAuthorityName | 'root' {
  const name = file.endsWith(extension) ? file.slice(0, -extension.length) : '';
  if ((CERTIFICATE_AUTHORITY_NAMES as readonly string[]).includes(name)) return name as CertificateAuthorityName;
  if (withRoot && name === 'root') return 'root';
  throw notFound(file);
}

function serialParam(request: RequestContext): string {
  const s = request.params.serial ?? '';
  if (!isSerial(s)) throw badRequest('malformed-serial', 'the serial is hex');
  return normaliseSerial(s);
}

/** The routes of the test JPKI system, for startService. */
export function createJpkiSystemService(options: JpkiSystemOptions): Route[] {
  const { db, pki } = options;
  const transportKey =
    typeof options.spTsmKeyTransportPublicKey === 'string' ? createPublicKey(options.spTsmKeyTransportPublicKey) : options.spTsmKeyTransportPublicKey;
  const issuer = new CertificateIssuer(pki, options.baseUrl);
  // A few key pairs ready ahead: the SP-TSM's application step then does not wait for an RSA generation.
  const keyPool = transportKey ? new KeyPool(options.keyPoolSize ?? 2) : undefined;
  const issuances = new Issuances({
    db,
    issuer,
    caCertificate: pki.authorities['user-authentication'].der,
    ...(transportKey ? { keyTransportKey: transportKey } : {}),
    ...(keyPool ? { keyPool } : {}),
  });
  const signatureCa = new SignatureCertificateAuthority(db, pki, options.baseUrl);
  const ocspOptions = options.ocspValidityMs !== undefined ? { validityMs: options.ocspValidityMs } : {};

  return [
    {
      method: 'GET',
      path: '/ca/:file',
      handler: async (r) => {
        const ca = caFromFile(r.params.file ?? '', '.crt', true);
        return { body: ca === 'root' ? pki.root.der : pki.authorities[ca].der, contentType: 'application/pkix-cert' };
      },
    },
    {
      method: 'GET',
      path: '/crl/:file',
      handler: async (r) => {
        const ca = caFromFile(r.params.file ?? '', '.crl', false) as CertificateAuthorityName;
        const crl = await currentCrl(db, pki, ca, options.crlPeriodMs !== undefined ? { periodMs: options.crlPeriodMs } : {});
        return { body: crl.der, contentType: 'application/pkix-crl' };
      },
    },
    {
      method: 'POST',
      path: '/ocsp',
      handler: async (r) => ({ body: await answerOcsp(db, pki, new Uint8Array(r.body), ocspOptions), contentType: OCSP_RESPONSE_TYPE }),
    },
    {
      method: 'GET',
      path: '/ocsp/:request',
      handler: async (r) => {
        const encoded = r.params.request ?? '';
        if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) return { body: malformedOcspResponse(), contentType: OCSP_RESPONSE_TYPE };
        const requestDer = new Uint8Array(Buffer.from(encoded.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
        return { body: await answerOcsp(db, pki, requestDer, ocspOptions), contentType: OCSP_RESPONSE_TYPE };
      },
    },
    {
      method: 'POST',
      path: '/signature-certificates',
      handler: async (r) => {
        const b = body(r);
        const applicant = applicantOf(b);
        const supersedes = text(b, 'supersedes', true);
        if (supersedes !== undefined && !isSerial(supersedes)) throw badRequest('malformed-serial', 'supersedes is a hex serial');
        const predecessor = supersedes === undefined ? undefined : normaliseSerial(supersedes);
        const certificate = await signatureCa.issue(der(b, 'subjectPublicKeyInfo'), text(b, 'subject'), applicant, undefined, predecessor);
        const row = await checkSignatureCertificate(db, pki, certificate);
        return {
          status: 201,
          json: { serial: row.serial, subject: row.subject, certificate: b64(certificate), caCertificate: b64(signatureCa.caCertificate) },
        };
      },
    },
    {
      method: 'POST',
      path: '/signature-certificates/check',
      handler: async (r) => ({ json: await checkSignatureCertificate(db, pki, der(body(r), 'certificate')) }),
    },
    {
      method: 'POST',
      path: '/issuances',
      handler: async (r) => {
        const b = body(r);
        const keyGeneration = text(b, 'keyGeneration');
        if (keyGeneration !== 'jpki-system' && keyGeneration !== 'on-card')
          throw badRequest('bad-key-generation', 'keyGeneration is jpki-system or on-card');
        const signatureSerial = text(b, 'signatureSerial');
        if (!isSerial(signatureSerial)) throw badRequest('malformed-serial', 'signatureSerial is hex');
        const { issuance, created } = await issuances.request({
          requestRef: text(b, 'requestRef'),
          signatureSerial: normaliseSerial(signatureSerial),
          keyGeneration,
        });
        return { status: created ? 201 : 200, json: issuance };
      },
    },
    { method: 'GET', path: '/issuances/:id', handler: async (r) => ({ json: await issuances.status(r.params.id ?? '') }) },
    {
      method: 'GET',
      path: '/issuances/:id/credential',
      handler: async (r) => ({ json: credentialJson(await issuances.credential(r.params.id ?? '')) }),
    },
    {
      method: 'POST',
      path: '/issuances/:id/certify',
      handler: async (r) => ({ json: credentialJson(await issuances.certify(r.params.id ?? '', der(body(r), 'subjectPublicKeyInfo'))) }),
    },
    {
      method: 'POST',
      path: '/issuances/:id/delivered',
      handler: async (r) => ({ json: await issuances.markDelivered(r.params.id ?? '', text(body(r), 'sim')) }),
    },
    {
      method: 'GET',
      path: '/certificates/:serial',
      handler: async (r) => {
        const serial = serialParam(r);
        const row = await findCertificate(db, serial);
        if (!row) throw notFound(`certificate ${serial}`);
        return {
          json: {
            serial: row.serial,
            ca: row.ca,
            subject: row.subject,
            status: row.status,
            notBefore: new Date(row.not_before).toISOString(),
            notAfter: new Date(row.not_after).toISOString(),
            ...(row.status === 'revoked'
              ? { revokedAt: new Date(row.revoked_at ?? 0).toISOString(), reason: reasonName(row.revocation_reason ?? 0) }
              : {}),
            ...(row.linked_signature_serial !== null ? { linkedSignatureSerial: row.linked_signature_serial } : {}),
            ...(row.issuance_id !== null ? { issuanceId: row.issuance_id } : {}),
            certificate: row.der,
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/certificates/:serial/revoke',
      handler: async (r) => {
        const b = r.body.length === 0 ? {} : body(r);
        const revokeLinked = b.revokeLinked;
        if (revokeLinked !== undefined && typeof revokeLinked !== 'boolean') throw badRequest('malformed-field', 'revokeLinked must be a boolean');
        const revoked = await revokeCertificate(db, serialParam(r), parseReason(b.reason), revokeLinked !== undefined ? { revokeLinked } : {});
        return { json: { revoked } };
      },
    },
  ];
}

export interface StartJpkiSystemOptions extends Omit<JpkiSystemOptions, 'baseUrl'>, ServiceOptions {
  /** The public URL; default the URL it listens on. */
  readonly baseUrl?: string;
}

/** Starts the test JPKI system; its certificates point at its own URL unless `baseUrl` says otherwise. */
export async function startJpkiSystem(options: StartJpkiSystemOptions): Promise<RunningService> {
  let listening = '';
  const routes = createJpkiSystemService({ ...options, baseUrl: options.baseUrl ?? (() => listening) });
  const running = await startService(routes, options);
  listening = running.url;
  return running;
}
