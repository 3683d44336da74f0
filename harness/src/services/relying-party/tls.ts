/**
 * The relying party's TLS identity. A TEST certificate made at start-up for the loopback names
 * (127.0.0.1, ::1, localhost), self-signed, ECDSA P-256 (cheap to make on every start). Clients do not
 * find it in any trust store: they pin it, by passing this PEM as the one CA they accept.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import { asX509Key, x509 } from '../jpki-system/webcrypto.js';

export interface TlsIdentity {
  /** The certificate (PEM): what the server presents and what clients pin. */
  readonly cert: string;
  /** PKCS#8 private key (PEM), never leaves the process that made it. */
  readonly key: string;
}

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

function pem(label: string, der: ArrayBuffer): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * A fresh self-signed server certificate for `names` (IP addresses and DNS names), valid from a day ago
 * (clock differences between processes) for `days` days. It is its own trust anchor, hence CA:TRUE with
 * keyCertSign: TLS libraries accept a pinned self-signed certificate only as an issuer.
 */
export async function makeTestTlsIdentity(names: readonly string[] = ['127.0.0.1', '::1', 'localhost'], days = 30): Promise<TlsIdentity> {
  const keys = await webcrypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify']);
  const now = Date.now();
  const altNames = names.map((n) => (/^[\d.]+$|:/.test(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n }));
  const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  const name = 'CN=JPKI TEST relying party (loopback), O=JPKI TEST, OU=NOT FOR PRODUCTION';
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(16)
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    subject: name,
    issuer: name,
    publicKey: spki,
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- see asX509Key
    signingKey: asX509Key(keys.privateKey),
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + days * DAY_MS),
    signingAlgorithm: ECDSA_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(altNames),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { cert: certificate.toString('pem') + '\n', key: pem('PRIVATE KEY', pkcs8) };
}
