/**
 * Certificates of a given size for the certificate cases (1, 2 and 4 KB): the TEST user-authentication
 * certificate's subject and key, issued by the TEST CA, grown to exactly the wanted length with a
 * non-critical private extension of padding. Real certificates differ in size (long names, policies,
 * SCT lists); what the card must do is store and return any of them byte for byte.
 */
import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { packageRoot } from '../package-root.js';

const RSA_SHA256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
/** An OID under the example private-enterprise arc, for the padding extension. */
const PADDING_OID = '1.3.6.1.4.1.32473.1.1';

export function certificatesDirectory(): string {
  return path.join(packageRoot(), 'test-vectors', 'certs');
}

/** A certificate for the TEST user-authentication key, exactly `size` bytes of DER (at least ~900). */
export async function certificateOfSize(size: number, directory = certificatesDirectory()): Promise<Uint8Array> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const ca = new x509.X509Certificate(readFileSync(path.join(directory, 'test-ca.der')));
  // WebCrypto imports PKCS#8 DER; node:crypto reads the PEM.
  const caPkcs8 = createPrivateKey(readFileSync(path.join(directory, 'test-ca.key.pem'))).export({ format: 'der', type: 'pkcs8' });
  const caKey = await webcrypto.subtle.importKey('pkcs8', caPkcs8, RSA_SHA256, false, ['sign']);
  const spki = createPublicKey(readFileSync(path.join(directory, 'test-auth.key.pem'))).export({ format: 'der', type: 'spki' });
  const publicKey = await webcrypto.subtle.importKey('spki', spki, RSA_SHA256, true, ['verify']);
  const make = async (padding: number): Promise<Uint8Array> => {
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: size.toString(16).padStart(4, '0'),
      subject: `CN=TEST User Authentication ${size}-byte certificate, O=JPKI-SIM TEST ONLY, C=JP`,
      issuer: ca.subject,
      notBefore: new Date('2025-01-01T00:00:00Z'),
      notAfter: new Date('2035-01-01T00:00:00Z'),
      publicKey,
      signingKey: caKey,
      signingAlgorithm: RSA_SHA256,
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.Extension(PADDING_OID, false, octetString(padding)),
      ],
    });
    return new Uint8Array(cert.rawData);
  };
  let padding = 16;
  for (let round = 0; round < 6; round++) {
    const der = await make(padding);
    if (der.length === size) return der;
    padding += size - der.length;
    if (padding < 0) throw new RangeError(`a certificate of ${size} bytes is smaller than the smallest one (${der.length})`);
  }
  throw new RangeError(`could not build a certificate of exactly ${size} bytes`);
}

/** DER OCTET STRING of n zero bytes. */
function octetString(n: number): ArrayBuffer {
  const header = n < 0x80 ? [0x04, n] : n < 0x100 ? [0x04, 0x81, n] : [0x04, 0x82, n >> 8, n & 0xff];
  const out = new Uint8Array(header.length + n);
  out.set(header, 0);
  return out.buffer;
}
