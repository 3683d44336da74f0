import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { packageRoot } from '../../package-root.js';

type Provider = Parameters<typeof x509.cryptoProvider.set>[0];
type CryptoKey = webcrypto.CryptoKey;
type GeneratorKey = Parameters<typeof x509.X509CertificateGenerator.create>[0] extends infer P
  ? P extends { signingKey: infer K }
    ? K
    : never
  : never;

x509.cryptoProvider.set(webcrypto as unknown as Provider);

const RSA_SHA256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/**
 * The TEST user-authentication CA in test-vectors/certs: issues certificates for keys
 * generated on the card. Its private key is published; nothing it signs is trustworthy.
 */
export class TestCertificateAuthority {
  private constructor(
    private readonly certificate: x509.X509Certificate,
    private readonly signingKey: CryptoKey,
  ) {}

  static async load(directory = path.join(packageRoot(), 'test-vectors', 'certs')): Promise<TestCertificateAuthority> {
    const certificate = new x509.X509Certificate(readFileSync(path.join(directory, 'test-ca.der')));
    const pkcs8 = createPrivateKey(readFileSync(path.join(directory, 'test-ca.key.pem'))).export({ format: 'der', type: 'pkcs8' });
    const signingKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, RSA_SHA256, false, ['sign']);
    return new TestCertificateAuthority(certificate, signingKey);
  }

  get der(): Uint8Array {
    return new Uint8Array(this.certificate.rawData);
  }

  /** A user-authentication certificate (digitalSignature, clientAuth) for the public key, valid `years`. */
  async issue(
    subjectPublicKeyInfo: Uint8Array,
    subject = 'CN=TEST User Authentication Subscriber, O=JPKI-SIM TEST ONLY, C=JP',
    years = 5,
  ): Promise<Uint8Array> {
    const publicKey = await webcrypto.subtle.importKey('spki', subjectPublicKeyInfo, RSA_SHA256, true, ['verify']);
    const notBefore = new Date();
    const notAfter = new Date(notBefore);
    notAfter.setUTCFullYear(notAfter.getUTCFullYear() + years);
    const serial = randomBytes(8);
    serial[0] = serial[0]! & 0x7f;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial.toString('hex'),
      subject,
      issuer: this.certificate.subject,
      notBefore,
      notAfter,
      // @peculiar/x509 types its keys with the DOM's CryptoKey, which this Node-only build does not declare.
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unnecessary-type-assertion
      publicKey: publicKey as unknown as GeneratorKey,
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unnecessary-type-assertion
      signingKey: this.signingKey as unknown as GeneratorKey,
      signingAlgorithm: RSA_SHA256,
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
        await x509.AuthorityKeyIdentifierExtension.create(this.certificate.publicKey),
      ],
    });
    return new Uint8Array(cert.rawData);
  }
}
