/**
 * The one place the test JPKI system meets WebCrypto: @peculiar/x509 signs with Node's WebCrypto, and
 * this module converts between Node's KeyObjects (stored as PEM) and the CryptoKeys the generators take.
 */
import { createPrivateKey, webcrypto, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type Provider = Parameters<typeof x509.cryptoProvider.set>[0];

x509.cryptoProvider.set(webcrypto as unknown as Provider);

/** sha256WithRSAEncryption: every signature this PKI makes. */
export const RSA_SHA256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** The key type @peculiar/x509 declares with the DOM's CryptoKey, which this Node-only build does not have. */
export type X509SigningKey = Parameters<typeof x509.X509CrlGenerator.create>[0]['signingKey'];

export type SigningKey = webcrypto.CryptoKey;

/**
 * A Node CryptoKey as @peculiar/x509 wants it. Its type is the DOM's CryptoKey, which this Node-only
 * build does not declare: each caller passes the result straight into a generator's parameters.
 */
export function asX509Key(key: SigningKey): X509SigningKey {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
  return key as unknown as X509SigningKey;
}

/** A private key (PEM or KeyObject) imported for sha256WithRSA signing. */
export async function importSigningKey(key: string | KeyObject): Promise<SigningKey> {
  const pkcs8 = (typeof key === 'string' ? createPrivateKey(key) : key).export({ format: 'der', type: 'pkcs8' });
  return webcrypto.subtle.importKey('pkcs8', pkcs8, RSA_SHA256, true, ['sign']);
}

/** A fresh RSA-2048 key pair for sha256WithRSA. */
export async function generateRsaKeyPair(): Promise<{ privateKey: SigningKey; spki: Uint8Array; pkcs8: Uint8Array }> {
  const pair = await webcrypto.subtle.generateKey({ ...RSA_SHA256, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, true, [
    'sign',
    'verify',
  ]);
  const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', pair.publicKey));
  const pkcs8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', pair.privateKey));
  return { privateKey: pair.privateKey, spki, pkcs8 };
}

export { x509 };
