/**
 * The simulated card's CASD and its TEST card authority, from the host: the certificate read through
 * the transport stack, its chain to the TEST root (checked here and by openssl, an independent
 * client), refusals, and statements signed in an application's name. Direct link to the simulator.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, createSign, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseHex, toHex } from '../../src/apdu/hex.js';
import {
  CardAuthorityError,
  CASD_AID,
  readCardAuthorityCertificate,
  TEST_CARD_AUTHORITY_ROOT,
  verifyAuthoritySignature,
  verifyCardAuthority,
} from '../../src/gp/card-authority.js';
import { openCard, type Card } from '../../src/transport/open.js';
import { SimTransport } from '../../src/transport/sim.js';
import { announceSkip, simulatorJarBuilt } from '../support.js';

const reason = simulatorJarBuilt() ? undefined : 'simulator jar not built (ant simulator)';
if (reason) announceSkip('card authority (CASD)', reason);
const maybe = reason ? describe.skip : describe;
const root = new Uint8Array(readFileSync(TEST_CARD_AUTHORITY_ROOT));

function openssl(args: string[]): { ok: boolean; output: string } {
  try {
    return { ok: true, output: execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

maybe('the CASD of a simulated card', () => {
  let a: SimTransport;
  let b: SimTransport;
  let certA: Uint8Array;
  let certB: Uint8Array;

  beforeAll(async () => {
    [a, b] = await Promise.all([SimTransport.open({ cardSeed: 'CA5D0001' }), SimTransport.open()]);
    certA = await readCardAuthorityCertificate(a);
    certB = await readCardAuthorityCertificate(b);
  }, 60000);

  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  test('its certificate chains to the TEST root and names the card', async () => {
    const verified = verifyCardAuthority(certA, root);
    expect(verified.publicKey.asymmetricKeyType).toBe('rsa');
    // the identity in the certificate is the card's: GET DATA 0042 / 0045 on the ISD
    await a.transmit(parseHex('00A4040008A000000151000000'));
    const iin = toHex((await a.transmit(parseHex('80CA004200'))).subarray(2, -2));
    const cin = toHex((await a.transmit(parseHex('80CA004500'))).subarray(2, -2));
    expect(verified.cardIdentity).toEqual({ commonName: `TEST CASD ${cin}`, serialNumber: iin + cin, iin, cin });
  });

  test('openssl verify accepts it with the TEST root as CA file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'casd-'));
    try {
      writeFileSync(path.join(dir, 'casd.pem'), new X509Certificate(certA).toString());
      writeFileSync(path.join(dir, 'root.pem'), new X509Certificate(root).toString());
      const r = openssl(['verify', '-CAfile', path.join(dir, 'root.pem'), path.join(dir, 'casd.pem')]);
      expect(r.output).toContain(': OK');
      expect(r.ok).toBe(true);
      const text = openssl(['x509', '-in', path.join(dir, 'casd.pem'), '-noout', '-text']).output;
      expect(text).toMatch(/Digital Signature/);
      expect(text).toMatch(/CA:FALSE/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('two cards have different CASD keys and certificates', () => {
    expect(toHex(certA)).not.toBe(toHex(certB));
    const va = verifyCardAuthority(certA, root);
    const vb = verifyCardAuthority(certB, root);
    expect(va.cardIdentity.serialNumber).not.toBe(vb.cardIdentity.serialNumber);
    expect(va.publicKey.export({ format: 'der', type: 'spki' }).equals(vb.publicKey.export({ format: 'der', type: 'spki' }))).toBe(false);
  });

  test('a card made from a seed has the same certificate every time', async () => {
    const again = await SimTransport.open({ cardSeed: 'CA5D0001' });
    try {
      expect(toHex(await readCardAuthorityCertificate(again))).toBe(toHex(certA));
    } finally {
      await again.close();
    }
  }, 30000);

  test('a certificate from another CA, a tampered one or an expired one is refused', () => {
    const other = new X509Certificate(readFileSync(path.join(path.dirname(TEST_CARD_AUTHORITY_ROOT), '..', 'certs', 'test-ca.der')));
    expect(() => verifyCardAuthority(certA, new Uint8Array(other.raw))).toThrow(CardAuthorityError);
    const tampered = Uint8Array.from(certA);
    tampered[tampered.length - 10]! ^= 0x01; // inside the signature
    expect(() => verifyCardAuthority(tampered, root)).toThrow(/signature does not verify/);
    const tbsTampered = Uint8Array.from(certA);
    const cn = Buffer.from(certA).indexOf(Buffer.from('TEST CASD '));
    tbsTampered[cn + 10] = tbsTampered[cn + 10] === 0x30 ? 0x31 : 0x30; // the CIN in the subject
    expect(() => verifyCardAuthority(tbsTampered, root)).toThrow(CardAuthorityError);
    expect(() => verifyCardAuthority(certA, root, new Date('2099-01-01T00:00:00Z'))).toThrow(/not valid/);
    // the root itself is a CA certificate, not a CASD's
    expect(() => verifyCardAuthority(root, root)).toThrow(CardAuthorityError);
    expect(() => verifyCardAuthority(Uint8Array.of(1, 2, 3), root)).toThrow(/not an X.509/);
  });

  test('the default transport stack reads the long answer in one call (61xx + GET RESPONSE underneath)', async () => {
    const card: Card = await openCard({ kind: 'sim' });
    try {
      const select = await card.transport.transmit(parseHex('00A4040008' + toHex(CASD_AID)));
      expect(toHex(select.subarray(-2))).toBe('9000');
      const r = await card.transport.transmit(parseHex('80CA7F2100'));
      expect(toHex(r.subarray(-2))).toBe('9000');
      expect(toHex(r.subarray(0, 3))).toBe('7F2182');
      expect(r.length - 2).toBeGreaterThan(256);
      verifyCardAuthority(r.subarray(5, -2), root);
      // the bare link shows how the card answers: 256 bytes and 61xx
      const raw = await card.base.transmit(parseHex('80CA7F2100'));
      expect(raw.length).toBe(258);
      expect(raw[256]).toBe(0x61);
      // identity objects on the CASD as on the ISD
      expect(toHex((await card.transport.transmit(parseHex('80CA9F7F00'))).subarray(0, 3))).toBe('9F7F2A');
    } finally {
      await card.close();
    }
  }, 30000);

  test('GET STATUS lists the CASD as a security domain', async () => {
    const { GpSession } = await import('../../src/gp/session.js');
    const { listRegistry } = await import('../../src/gp/manager.js');
    const { makeKeySet, SIMULATOR_TEST_MASTER_KEY } = await import('../../src/gp/keys.js');
    const session = await GpSession.open(a, { keys: makeKeySet(0, SIMULATOR_TEST_MASTER_KEY), diversification: 'kdf3', securityLevel: 0x01 });
    try {
      const registry = await listRegistry(session);
      const casd = registry.applications.find((e) => e.aid === toHex(CASD_AID));
      expect(casd?.kind).toBe('security-domain');
    } finally {
      await session.end();
    }
  });

  test('verifyAuthoritySignature checks the AID-bound statement format', () => {
    // A stand-in CASD key and certificate are not needed: the format is checked with a key pair signing
    // 4F len AID || data the way the card does (the card's own signatures are checked in the JUnit tests).
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const aid = parseHex('D392F000260100000001');
    const data = parseHex('0102030405');
    const signature = createSign('sha256')
      .update(Buffer.concat([Buffer.of(0x4f, aid.length), aid, data]))
      .sign(privateKey);
    const verified = { publicKey, cardIdentity: { commonName: '', serialNumber: '' }, certificate: new X509Certificate(certA) };
    expect(verifyAuthoritySignature(verified, aid, data, signature)).toBe(true);
    expect(verifyAuthoritySignature(verified, parseHex('D392F000260100000002'), data, signature)).toBe(false);
    expect(verifyAuthoritySignature(verified, aid, parseHex('0102030406'), signature)).toBe(false);
    expect(verifyAuthoritySignature(certA, aid, data, signature)).toBe(false); // not the card's key
    expect(() => verifyAuthoritySignature(certA, parseHex('0102'), data, signature)).toThrow(CardAuthorityError);
  });
});
