import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { TestCertificateAuthority } from '../../src/jpki/test-ca/test-ca.js';

describe('test certificate authority', () => {
  test('issues a certificate for a public key that verifies under the test CA', async () => {
    const ca = await TestCertificateAuthority.load();
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    const der = await ca.issue(spki);
    const cert = new X509Certificate(Buffer.from(der));
    const caCert = new X509Certificate(Buffer.from(ca.der));
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.publicKey.export({ format: 'der', type: 'spki' }).equals(spki)).toBe(true);
    expect(der[0]).toBe(0x30);
    expect(der[1]).toBe(0x82);
    expect(((der[2]! << 8) | der[3]!) + 4).toBe(der.length);
    expect(cert.keyUsage).toContain('1.3.6.1.5.5.7.3.2');
  });
});
