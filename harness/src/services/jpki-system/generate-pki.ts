/**
 * Generates the TEST PKI of the test JPKI system into a directory (default test-vectors/jpki-system):
 * root CA, user-authentication CA, signature CA, an OCSP responder per issuing CA and the test SP-TSM's
 * key-transport key pair. RSA-2048, sha256WithRSAEncryption, valid 20 years. Run:
 *   node dist/harness/src/services/jpki-system/generate-pki.js [directory]
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomSerial } from './serials.js';
import { defaultPkiDirectory, PKI_FILES, type CertificateAuthorityName } from './pki.js';
import { asX509Key, generateRsaKeyPair, RSA_SHA256, x509 } from './webcrypto.js';

const VALIDITY_YEARS = 20;

const DN_SUFFIX = 'C=JP, O=JPKI TEST, OU=NOT FOR PRODUCTION';

export const TEST_PKI_SUBJECTS = {
  root: `${DN_SUFFIX}, CN=JPKI TEST Root CA`,
  'user-authentication': `${DN_SUFFIX}, CN=JPKI TEST User Authentication CA`,
  signature: `${DN_SUFFIX}, CN=JPKI TEST Signature CA`,
  ocsp: {
    'user-authentication': `${DN_SUFFIX}, CN=JPKI TEST User Authentication OCSP Responder`,
    signature: `${DN_SUFFIX}, CN=JPKI TEST Signature OCSP Responder`,
  },
} as const;

function pem(type: string, der: Uint8Array): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${type}-----\n${b64.endsWith('\n') ? b64 : b64 + '\n'}-----END ${type}-----\n`;
}

function validity(): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date();
  notBefore.setUTCHours(0, 0, 0, 0);
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + VALIDITY_YEARS);
  return { notBefore, notAfter };
}

interface Made {
  readonly certificate: x509.X509Certificate;
  readonly keys: Awaited<ReturnType<typeof generateRsaKeyPair>>;
}

async function makeCa(subject: string, issuer: Made | undefined): Promise<Made> {
  const keys = await generateRsaKeyPair();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject,
    issuer: issuer ? issuer.certificate.subject : subject,
    ...validity(),
    publicKey: keys.spki,
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- see asX509Key
    signingKey: asX509Key(issuer ? issuer.keys.privateKey : keys.privateKey),
    signingAlgorithm: RSA_SHA256,
    extensions: [
      new x509.BasicConstraintsExtension(true, issuer ? 0 : undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.spki),
      await x509.AuthorityKeyIdentifierExtension.create(issuer ? issuer.keys.spki : keys.spki),
    ],
  });
  return { certificate, keys };
}

async function makeOcspResponder(subject: string, issuer: Made): Promise<Made> {
  const keys = await generateRsaKeyPair();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject,
    issuer: issuer.certificate.subject,
    ...validity(),
    publicKey: keys.spki,
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- see asX509Key
    signingKey: asX509Key(issuer.keys.privateKey),
    signingAlgorithm: RSA_SHA256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.ocspSigning]),
      // id-pkix-ocsp-nocheck: a relying party does not check the responder's own revocation.
      new x509.Extension('1.3.6.1.5.5.7.48.1.5', false, new Uint8Array([0x05, 0x00])),
      await x509.SubjectKeyIdentifierExtension.create(keys.spki),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.spki),
    ],
  });
  return { certificate, keys };
}

/** Writes a fresh TEST PKI into `directory`; answers the files written. */
export async function generateJpkiTestPki(directory = defaultPkiDirectory()): Promise<string[]> {
  mkdirSync(directory, { recursive: true });
  const written: string[] = [];
  const write = (file: string, text: string): void => {
    writeFileSync(path.join(directory, file), text);
    written.push(file);
  };
  const save = (base: string, made: Made): void => {
    write(`${base}.pem`, pem('CERTIFICATE', new Uint8Array(made.certificate.rawData)));
    write(`${base}.key.pem`, pem('PRIVATE KEY', made.keys.pkcs8));
  };
  const root = await makeCa(TEST_PKI_SUBJECTS.root, undefined);
  save(PKI_FILES.root, root);
  const chain = [root];
  for (const name of ['user-authentication', 'signature'] as const satisfies readonly CertificateAuthorityName[]) {
    const ca = await makeCa(TEST_PKI_SUBJECTS[name], root);
    save(PKI_FILES[name], ca);
    save(PKI_FILES.ocsp[name], await makeOcspResponder(TEST_PKI_SUBJECTS.ocsp[name], ca));
    chain.push(ca);
  }
  write(PKI_FILES.chain, chain.map((c) => pem('CERTIFICATE', new Uint8Array(c.certificate.rawData))).join(''));
  const transport = await generateRsaKeyPair();
  const transportKey = createPrivateKey({ key: Buffer.from(transport.pkcs8), format: 'der', type: 'pkcs8' });
  write(`${PKI_FILES.spTsmKeyTransport}.pem`, createPublicKey(transportKey).export({ format: 'pem', type: 'spki' }).toString());
  write(`${PKI_FILES.spTsmKeyTransport}.key.pem`, transportKey.export({ format: 'pem', type: 'pkcs8' }).toString());
  return written;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const directory = process.argv[2] ?? defaultPkiDirectory();
  generateJpkiTestPki(directory).then(
    (files) => process.stdout.write(`TEST PKI written to ${directory}:\n${files.map((f) => `  ${f}\n`).join('')}`),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
