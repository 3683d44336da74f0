/* @peculiar/x509 types its keys with the DOM's CryptoKey, which this Node-only build does not declare: the
   keys handed to it read as error types here, as in src/jpki/test-ca/test-ca.ts. */
/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unnecessary-type-assertion */
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { CertificateIssuer } from '../../src/my-number-card/issue.js';

type Provider = Parameters<typeof x509.cryptoProvider.set>[0];
type GeneratorKey = Parameters<typeof x509.X509CertificateGenerator.create>[0] extends infer P
  ? P extends { signingKey: infer K }
    ? K
    : never
  : never;

x509.cryptoProvider.set(webcrypto as unknown as Provider);

/** digitalSignature and nonRepudiation, as a signature certificate of JPKI carries. */
const SIGNATURE_USAGE = (x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation) as x509.KeyUsageFlags;
const RSA_SHA256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

function asGeneratorKey(key: webcrypto.CryptoKey): GeneratorKey {
  return key as unknown as GeneratorKey;
}

function serial(): string {
  const bytes = randomBytes(8);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

/** A CA made for one test run (its key lives in memory only), issuing certificates for keys generated on the card. */
export async function throwawayCa(name: string, usage: 'signature' | 'authentication'): Promise<CertificateIssuer & { readonly name: string }> {
  const keys = await webcrypto.subtle.generateKey({ ...RSA_SHA256, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, false, [
    'sign',
    'verify',
  ]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 365 * 86_400_000),
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    signingAlgorithm: RSA_SHA256,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  return {
    name,
    caCertificate: new Uint8Array(ca.rawData),
    async issue(subjectPublicKeyInfo: Uint8Array, subject: string): Promise<Uint8Array> {
      const publicKey = await webcrypto.subtle.importKey('spki', subjectPublicKeyInfo, RSA_SHA256, true, ['verify']);
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject,
        issuer: ca.subject,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 365 * 86_400_000),
        publicKey: asGeneratorKey(publicKey),
        signingKey: asGeneratorKey(keys.privateKey),
        signingAlgorithm: RSA_SHA256,
        extensions: [new x509.KeyUsagesExtension(usage === 'signature' ? SIGNATURE_USAGE : x509.KeyUsageFlags.digitalSignature, true)],
      });
      return new Uint8Array(cert.rawData);
    },
  };
}
