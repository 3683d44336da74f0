/**
 * The test JPKI system's PKI: a root CA, two issuing CAs (user authentication, signature) and one OCSP
 * responder certificate per issuing CA, read from test-vectors/jpki-system (made by generate-pki.ts).
 * Every private key there is published: nothing this PKI signs is trustworthy.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HarnessError } from '../../errors.js';
import { packageRoot } from '../../package-root.js';
import type { CertificateAuthorityName } from '../db/tables/jpki-system.js';
import { importSigningKey, x509, type SigningKey } from './webcrypto.js';

export type { CertificateAuthorityName };

export const CERTIFICATE_AUTHORITY_NAMES: readonly CertificateAuthorityName[] = ['user-authentication', 'signature'];

export class PkiMaterialError extends HarnessError {
  readonly exitCode = 2;
}

/** The files of the test PKI, relative to its directory. */
export const PKI_FILES = {
  root: 'root-ca',
  'user-authentication': 'user-authentication-ca',
  signature: 'signature-ca',
  ocsp: { 'user-authentication': 'user-authentication-ocsp', signature: 'signature-ocsp' },
  spTsmKeyTransport: 'sp-tsm-key-transport',
  chain: 'chain.pem',
} as const;

export function defaultPkiDirectory(): string {
  return path.join(packageRoot(), 'test-vectors', 'jpki-system');
}

export interface LoadedCertificate {
  readonly certificate: x509.X509Certificate;
  readonly der: Uint8Array;
}

export interface OcspResponder extends LoadedCertificate {
  readonly key: KeyObject;
}

export interface IssuingAuthority extends LoadedCertificate {
  readonly name: CertificateAuthorityName;
  /** For @peculiar/x509's certificate and CRL generators. */
  readonly signingKey: SigningKey;
  readonly ocsp: OcspResponder;
}

export interface JpkiPki {
  readonly root: LoadedCertificate;
  readonly authorities: Readonly<Record<CertificateAuthorityName, IssuingAuthority>>;
}

function readPem(directory: string, file: string): string {
  try {
    return readFileSync(path.join(directory, file), 'utf8');
  } catch (e) {
    throw new PkiMaterialError(
      `test PKI: cannot read ${path.join(directory, file)} (${(e as Error).message}); regenerate it with scripts/jpki-test-pki.sh`,
    );
  }
}

function loadCertificate(directory: string, base: string): LoadedCertificate {
  const certificate = new x509.X509Certificate(readPem(directory, `${base}.pem`));
  return { certificate, der: new Uint8Array(certificate.rawData) };
}

async function loadAuthority(directory: string, name: CertificateAuthorityName): Promise<IssuingAuthority> {
  const ca = loadCertificate(directory, PKI_FILES[name]);
  const responder = loadCertificate(directory, PKI_FILES.ocsp[name]);
  return {
    ...ca,
    name,
    signingKey: await importSigningKey(readPem(directory, `${PKI_FILES[name]}.key.pem`)),
    ocsp: { ...responder, key: createPrivateKey(readPem(directory, `${PKI_FILES.ocsp[name]}.key.pem`)) },
  };
}

/** Reads the test PKI (by default the committed one in test-vectors/jpki-system). */
export async function loadJpkiPki(directory = defaultPkiDirectory()): Promise<JpkiPki> {
  return {
    root: loadCertificate(directory, PKI_FILES.root),
    authorities: {
      'user-authentication': await loadAuthority(directory, 'user-authentication'),
      signature: await loadAuthority(directory, 'signature'),
    },
  };
}

/** The test SP-TSM's key-transport key pair (RSA-OAEP-256), committed beside the PKI for demos and tests. */
export function loadTestSpTsmKeyTransport(directory = defaultPkiDirectory()): { publicKey: KeyObject; privateKey: KeyObject } {
  return {
    publicKey: createPublicKey(readPem(directory, `${PKI_FILES.spTsmKeyTransport}.pem`)),
    privateKey: createPrivateKey(readPem(directory, `${PKI_FILES.spTsmKeyTransport}.key.pem`)),
  };
}
