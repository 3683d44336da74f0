import { execFile } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, webcrypto, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { testDatabases, type TestDatabase } from './databases.js';
import { callJson } from '../../src/services/http/client.js';
import { ServiceCallError } from '../../src/services/http/errors.js';
import type { RunningService } from '../../src/services/http/server.js';
import { unwrapPrivateKey, parseWrappedKey, keyTransportContext } from '../../src/services/jpki-system/key-transport.js';
import { checkOcsp, parseOcspResponse } from '../../src/services/jpki-system/ocsp-client.js';
import { defaultPkiDirectory, loadJpkiPki, loadTestSpTsmKeyTransport, type JpkiPki } from '../../src/services/jpki-system/pki.js';
import { readApplicant, TEST_POLICY_OIDS } from '../../src/services/jpki-system/profiles.js';
import { startJpkiSystem } from '../../src/services/jpki-system/service.js';
import { SignatureCertificateAuthority } from '../../src/services/jpki-system/signature-authority.js';
import { asX509Key, RSA_SHA256, x509 } from '../../src/services/jpki-system/webcrypto.js';

const run = promisify(execFile);
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const pem = (der: Uint8Array, type = 'CERTIFICATE'): string =>
  `-----BEGIN ${type}-----\n${b64(der).replace(/(.{64})/g, '$1\n')}\n-----END ${type}-----\n`;

function rsaSpki(): { spki: Uint8Array; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { spki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })), privateKey };
}

interface Fixture {
  readonly service: RunningService;
  readonly pki: JpkiPki;
  readonly dir: string;
  readonly signatureCa: SignatureCertificateAuthority;
  readonly transport: { publicKey: KeyObject; privateKey: KeyObject };
  dispose(): Promise<void>;
}

async function setUp(database: TestDatabase): Promise<Fixture> {
  const { opened, dispose } = await database.create();
  const pki = await loadJpkiPki();
  const transport = loadTestSpTsmKeyTransport();
  const service = await startJpkiSystem({ db: opened.db, pki, spTsmKeyTransportPublicKey: transport.publicKey });
  const dir = mkdtempSync(path.join(tmpdir(), 'jpki-system-'));
  return {
    service,
    pki,
    dir,
    transport,
    signatureCa: new SignatureCertificateAuthority(opened.db, pki, service.url),
    dispose: async () => {
      await service.close();
      await dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function signatureCertificate(f: Fixture, name = 'TEST Yamada Taro'): Promise<{ der: Uint8Array; serial: string }> {
  const answer = (await callJson('jpki', `${f.service.url}/signature-certificates`, {
    body: {
      subjectPublicKeyInfo: b64(rsaSpki().spki),
      subject: 'C=JP, L=TEST Tokyo, CN=TEST-SIG-0001',
      applicant: { name, address: 'TEST 1-1 Chiyoda, Tokyo', dateOfBirth: '19800101', gender: '1' },
    },
  })) as { serial: string; certificate: string };
  return { der: new Uint8Array(Buffer.from(answer.certificate, 'base64')), serial: answer.serial };
}

async function opensslOcsp(f: Fixture, certificate: Uint8Array, issuer: Uint8Array): Promise<string> {
  const certFile = path.join(f.dir, 'ocsp-cert.pem');
  const issuerFile = path.join(f.dir, 'ocsp-issuer.pem');
  writeFileSync(certFile, pem(certificate));
  writeFileSync(issuerFile, pem(issuer));
  const { stdout, stderr } = await run('openssl', [
    'ocsp',
    '-issuer',
    issuerFile,
    '-cert',
    certFile,
    '-url',
    `${f.service.url}/ocsp`,
    '-CAfile',
    path.join(defaultPkiDirectory(), 'root-ca.pem'),
  ]);
  return stdout + stderr;
}

async function opensslVerifyWithCrl(f: Fixture, certificate: Uint8Array, ca: 'user-authentication' | 'signature'): Promise<string> {
  const crl = new Uint8Array(await (await fetch(`${f.service.url}/crl/${ca}.crl`)).arrayBuffer());
  const crlDer = path.join(f.dir, 'crl.der');
  const crlPem = path.join(f.dir, 'crl.pem');
  const certFile = path.join(f.dir, 'verify-cert.pem');
  writeFileSync(crlDer, crl);
  writeFileSync(certFile, pem(certificate));
  await run('openssl', ['crl', '-inform', 'DER', '-in', crlDer, '-out', crlPem]);
  try {
    const { stdout, stderr } = await run('openssl', [
      'verify',
      '-crl_check',
      '-CRLfile',
      crlPem,
      '-CAfile',
      path.join(defaultPkiDirectory(), 'chain.pem'),
      certFile,
    ]);
    return stdout + stderr;
  } catch (e) {
    const failed = e as { stdout?: string; stderr?: string };
    return (failed.stdout ?? '') + (failed.stderr ?? '');
  }
}

async function crlNumber(f: Fixture, ca: string): Promise<{ number: number; entries: number }> {
  const crl = new x509.X509Crl(new Uint8Array(await (await fetch(`${f.service.url}/crl/${ca}.crl`)).arrayBuffer()));
  const ext = crl.getExtension('2.5.29.20');
  const value = Buffer.from(ext!.value);
  return { number: parseInt(value.subarray(2).toString('hex'), 16), entries: crl.entries.length };
}

describe.each(testDatabases('test JPKI system'))('the test JPKI system on $name', (database) => {
  let f: Fixture;
  beforeAll(async () => {
    f = await setUp(database);
  });
  afterAll(async () => {
    await f.dispose();
  });

  test('a signature certificate for a card key: profile, applicant attributes, valid by the check', async () => {
    const { der, serial } = await signatureCertificate(f);
    const cert = new x509.X509Certificate(der);
    expect(cert.issuer).toBe(f.pki.authorities.signature.certificate.subject);
    expect(cert.getExtension(x509.KeyUsagesExtension)!.usages).toBe(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation);
    expect(cert.getExtension(x509.CertificatePolicyExtension)!.policies).toEqual([TEST_POLICY_OIDS.signature]);
    expect(readApplicant(cert)).toEqual({ name: 'TEST Yamada Taro', address: 'TEST 1-1 Chiyoda, Tokyo', dateOfBirth: '19800101', gender: '1' });
    const check = (await callJson('jpki', `${f.service.url}/signature-certificates/check`, { body: { certificate: b64(der) } })) as {
      valid: boolean;
      serial: string;
    };
    expect(check).toMatchObject({ valid: true, serial });
    // The library class the test card uses records its certificates too.
    const fromClass = await f.signatureCa.issue(rsaSpki().spki, 'TEST Suzuki Hanako');
    expect(new x509.X509Certificate(fromClass).subject).toContain('CN=TEST Suzuki Hanako');
    expect(Buffer.from(f.signatureCa.caCertificate).equals(Buffer.from(f.pki.authorities.signature.der))).toBe(true);
    expect(await callJson('jpki', `${f.service.url}/signature-certificates/check`, { body: { certificate: b64(fromClass) } })).toMatchObject({
      valid: true,
    });
  });

  test('issuance with a key the JPKI system generates: wrapped for the SP-TSM, idempotent, delivered, linked', async () => {
    const signature = await signatureCertificate(f);
    const request = { requestRef: `app-${signature.serial}`, signatureSerial: signature.serial, keyGeneration: 'jpki-system' };
    const first = (await callJson('jpki', `${f.service.url}/issuances`, { body: request })) as {
      id: string;
      state: string;
      certificateSerial: string;
    };
    expect(first.state).toBe('certificate-issued');
    const again = (await callJson('jpki', `${f.service.url}/issuances`, { body: request })) as { id: string; certificateSerial: string };
    expect(again.id).toBe(first.id);
    expect(again.certificateSerial).toBe(first.certificateSerial);
    await expect(callJson('jpki', `${f.service.url}/issuances`, { body: { ...request, keyGeneration: 'on-card' } })).rejects.toMatchObject({
      code: 'request-ref-reused',
    });

    const credential = (await callJson('jpki', `${f.service.url}/issuances/${first.id}/credential`)) as {
      certificate: string;
      caCertificate: string;
      wrappedKey: unknown;
    };
    const privateKey = unwrapPrivateKey(
      parseWrappedKey(credential.wrappedKey),
      f.transport.privateKey,
      keyTransportContext(first.id, first.certificateSerial),
    );
    const cert = new x509.X509Certificate(Buffer.from(credential.certificate, 'base64'));
    const publicFromKey = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    expect(Buffer.from(cert.publicKey.rawData).equals(publicFromKey)).toBe(true);
    expect(cert.getExtension(x509.KeyUsagesExtension)!.usages).toBe(x509.KeyUsageFlags.digitalSignature);
    expect(cert.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual([x509.ExtendedKeyUsage.clientAuth]);
    expect(cert.getExtension(x509.CRLDistributionPointsExtension)).not.toBeNull();
    expect(cert.subject).not.toContain('Yamada');
    expect(await cert.verify({ publicKey: f.pki.authorities['user-authentication'].certificate, signatureOnly: true })).toBe(true);

    const delivered = (await callJson('jpki', `${f.service.url}/issuances/${first.id}/delivered`, { body: { sim: 'sim-aa01' } })) as {
      state: string;
      sim: string;
    };
    expect(delivered).toMatchObject({ state: 'delivered', sim: 'sim-aa01' });
    const after = (await callJson('jpki', `${f.service.url}/issuances/${first.id}/credential`)) as { wrappedKey?: unknown };
    expect(after.wrappedKey).toBeUndefined();
    await expect(callJson('jpki', `${f.service.url}/issuances/${first.id}/delivered`, { body: { sim: 'sim-other' } })).rejects.toMatchObject({
      code: 'delivered-elsewhere',
    });
    const status = (await callJson('jpki', `${f.service.url}/certificates/${first.certificateSerial}`)) as { linkedSignatureSerial: string };
    expect(status.linkedSignatureSerial).toBe(signature.serial);
  });

  test(
    'on-card issuance: certifies the SIM key once (a new key before delivery supersedes it); ' +
      'revoking the card revokes the SIM certificate (cessationOfOperation); CRL numbers grow',
    async () => {
      const signature = await signatureCertificate(f);
      const issuance = (await callJson('jpki', `${f.service.url}/issuances`, {
        body: { requestRef: `card-${signature.serial}`, signatureSerial: signature.serial, keyGeneration: 'on-card' },
      })) as { id: string; state: string };
      expect(issuance.state).toBe('requested');
      const sim = rsaSpki();
      const certified = (await callJson('jpki', `${f.service.url}/issuances/${issuance.id}/certify`, {
        body: { subjectPublicKeyInfo: b64(sim.spki) },
      })) as { certificate: string; issuance: { certificateSerial: string } };
      const same = (await callJson('jpki', `${f.service.url}/issuances/${issuance.id}/certify`, {
        body: { subjectPublicKeyInfo: b64(sim.spki) },
      })) as {
        certificate: string;
      };
      expect(same.certificate).toBe(certified.certificate);
      // A write resumed after the SIM generated its key makes a new key: before delivery, its certificate
      // replaces the first one, which is revoked as superseded.
      const resumed = rsaSpki();
      const replaced = (await callJson('jpki', `${f.service.url}/issuances/${issuance.id}/certify`, {
        body: { subjectPublicKeyInfo: b64(resumed.spki) },
      })) as { certificate: string; issuance: { certificateSerial: string } };
      expect(replaced.issuance.certificateSerial).not.toBe(certified.issuance.certificateSerial);
      expect(await callJson('jpki', `${f.service.url}/certificates/${certified.issuance.certificateSerial}`)).toMatchObject({
        status: 'revoked',
        reason: 'superseded',
      });
      Object.assign(certified, replaced);
      await callJson('jpki', `${f.service.url}/issuances/${issuance.id}/delivered`, { body: { sim: 'sim-bb02' } });
      await expect(
        callJson('jpki', `${f.service.url}/issuances/${issuance.id}/certify`, { body: { subjectPublicKeyInfo: b64(rsaSpki().spki) } }),
      ).rejects.toMatchObject({ code: 'already-certified' });

      const before = await crlNumber(f, 'user-authentication');
      const revoked = (await callJson('jpki', `${f.service.url}/certificates/${signature.serial}/revoke`, { body: { reason: 'keyCompromise' } })) as {
        revoked: { serial: string; reason: string; linked: boolean }[];
      };
      expect(revoked.revoked).toEqual([
        expect.objectContaining({ serial: signature.serial, reason: 'keyCompromise', linked: false }),
        expect.objectContaining({ serial: certified.issuance.certificateSerial, reason: 'cessationOfOperation', linked: true }),
      ]);
      expect(await callJson('jpki', `${f.service.url}/issuances/${issuance.id}`)).toMatchObject({ state: 'revoked' });
      const afterRevocation = await crlNumber(f, 'user-authentication');
      expect(afterRevocation.number).toBeGreaterThan(before.number);
      expect(afterRevocation.entries).toBe(before.entries + 1);
      expect((await crlNumber(f, 'user-authentication')).number).toBe(afterRevocation.number);
      const check = (await callJson('jpki', `${f.service.url}/signature-certificates/check`, { body: { certificate: b64(signature.der) } })) as {
        valid: boolean;
        reason: string;
        revocationReason: string;
      };
      expect(check).toMatchObject({ valid: false, reason: 'revoked', revocationReason: 'keyCompromise' });
      await expect(
        callJson('jpki', `${f.service.url}/issuances`, {
          body: { requestRef: 'after-revocation', signatureSerial: signature.serial, keyGeneration: 'on-card' },
        }),
      ).rejects.toMatchObject({ code: 'signature-certificate-revoked' });
    },
  );

  test('openssl ocsp answers good, then revoked; the client helper agrees', async () => {
    const { der, serial } = await signatureCertificate(f);
    const issuer = f.pki.authorities.signature.der;
    const good = await opensslOcsp(f, der, issuer);
    expect(good).toMatch(/Response verify OK/);
    expect(good).toMatch(/: good/);
    expect(good).not.toMatch(/nonce/i);
    expect(await checkOcsp(der, issuer, `${f.service.url}/ocsp`)).toMatchObject({ status: 'good' });
    await callJson('jpki', `${f.service.url}/certificates/${serial}/revoke`, { body: { reason: 'superseded' } });
    const revoked = await opensslOcsp(f, der, issuer);
    expect(revoked).toMatch(/Response verify OK/);
    expect(revoked).toMatch(/: revoked/);
    expect(revoked).toMatch(/Reason: superseded/);
    expect(await checkOcsp(der, issuer, `${f.service.url}/ocsp`)).toMatchObject({ status: 'revoked', reason: 'superseded' });
  });

  test('openssl verify -crl_check: OK, then certificate revoked', async () => {
    const signature = await signatureCertificate(f);
    const issuance = (await callJson('jpki', `${f.service.url}/issuances`, {
      body: { requestRef: `crl-${signature.serial}`, signatureSerial: signature.serial, keyGeneration: 'jpki-system' },
    })) as { id: string; certificateSerial: string };
    const credential = (await callJson('jpki', `${f.service.url}/issuances/${issuance.id}/credential`)) as { certificate: string };
    const der = new Uint8Array(Buffer.from(credential.certificate, 'base64'));
    expect(await opensslVerifyWithCrl(f, der, 'user-authentication')).toMatch(/: OK/);
    await callJson('jpki', `${f.service.url}/certificates/${issuance.certificateSerial}/revoke`, { body: { reason: 'keyCompromise' } });
    expect(await opensslVerifyWithCrl(f, der, 'user-authentication')).toMatch(/certificate revoked/);
    expect(await callJson('jpki', `${f.service.url}/issuances/${issuance.id}`)).toMatchObject({ state: 'revoked' });
    await expect(callJson('jpki', `${f.service.url}/certificates/${issuance.certificateSerial}/revoke`, { body: {} })).rejects.toMatchObject({
      code: 'already-revoked',
    });
  });

  test('unknown serial → unknown; malformed request → malformedRequest; another CA → unauthorized / invalid', async () => {
    const { der } = await signatureCertificate(f);
    // Same issuer, a serial this system never issued.
    const keys = await webcrypto.subtle.generateKey({ ...RSA_SHA256, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, true, [
      'sign',
      'verify',
    ]);
    const stranger = await x509.X509CertificateGenerator.create({
      serialNumber: '0badc0de',
      subject: 'C=JP, O=ELSEWHERE TEST, CN=Untrusted Signature CA',
      issuer: 'C=JP, O=ELSEWHERE TEST, CN=Untrusted Signature CA',
      publicKey: new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey)),
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- see asX509Key
      signingKey: asX509Key(keys.privateKey),
      signingAlgorithm: RSA_SHA256,
    });
    const strangerDer = new Uint8Array(stranger.rawData);
    const unknownCert = Buffer.from(der);
    const unknown = await checkOcsp(forgeSerial(unknownCert), f.pki.authorities.signature.der, `${f.service.url}/ocsp`);
    expect(unknown.status).toBe('unknown');
    const malformed = await fetch(`${f.service.url}/ocsp`, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: Buffer.from('not an OCSP request'),
    });
    expect(malformed.status).toBe(200);
    const body = new Uint8Array(await malformed.arrayBuffer());
    expect(() => parseOcspResponse(body)).toThrow(expect.objectContaining({ code: 'malformedRequest' }) as Error);
    await expect(checkOcsp(strangerDer, strangerDer, `${f.service.url}/ocsp`)).rejects.toMatchObject({ code: 'unauthorized' });
    expect(await callJson('jpki', `${f.service.url}/signature-certificates/check`, { body: { certificate: b64(strangerDer) } })).toMatchObject({
      valid: false,
      reason: 'untrusted-issuer',
    });
    await expect(callJson('jpki', `${f.service.url}/certificates/ABCDEF/revoke`, { body: {} })).rejects.toBeInstanceOf(ServiceCallError);
  });
});

/** The same certificate with another serial (its signature no longer matters: OCSP asks by serial). */
function forgeSerial(der: Buffer): Uint8Array {
  const copy = Buffer.from(der);
  const serialOffset = copy.indexOf(Buffer.from([0xa0, 0x03, 0x02, 0x01, 0x02, 0x02]));
  const length = copy[serialOffset + 6]!;
  for (let i = 0; i < length; i++) copy[serialOffset + 7 + i] = i === 0 ? 0x11 : 0x22;
  return new Uint8Array(copy);
}
