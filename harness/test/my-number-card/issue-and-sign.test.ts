import { createVerify, X509Certificate } from 'node:crypto';
import { digestInfo, hashMessage } from '../../src/apdu/digest-info.js';
import { parseHex, toHex } from '../../src/apdu/hex.js';
import { CardStatusError, UsageError } from '../../src/errors.js';
import { TestCertificateAuthority } from '../../src/jpki/test-ca/test-ca.js';
import {
  authenticationPinTriesLeft,
  readAuthenticationCaCertificate,
  readAuthenticationCertificate,
  readBinaryFile,
  readSignatureCaCertificate,
  readSignatureCertificate,
  selectJpkiApplication,
  signaturePasswordTriesLeft,
  signWithAuthenticationKey,
  signWithSignatureKey,
  WrongPasswordError,
} from '../../src/my-number-card/client.js';
import { issueTestMyNumberCard, readTestCardState, TestIssuanceError, type CertificateIssuer } from '../../src/my-number-card/issue.js';
import { SimTransport } from '../../src/transport/sim.js';
import { announceSkip, simulatorJarBuilt } from '../support.js';
import { throwawayCa } from './throwaway-ca.js';

/**
 * The applicant's TEST My Number card on the simulator (direct link): issued with a throwaway
 * signature CA and the TEST user-authentication CA, then read and used as a JPKI client would.
 */
const ready = simulatorJarBuilt();
if (!ready) announceSkip('TEST My Number card', 'build/jpki-simulator.jar is missing (run ant simulator)');
const maybe = ready ? describe : describe.skip;

const PASSWORD = 'TEST2024PW';
const PIN = '4321';
const SUBJECT = 'CN=TEST Applicant Taro, O=JPKI-SIM TEST ONLY, C=JP';
const APPLICATION = new TextEncoder().encode('<application>TEST: a certificate for a service</application>');

function verifies(certificate: Uint8Array, message: Uint8Array, signature: Uint8Array, hash = 'sha256'): boolean {
  const key = new X509Certificate(certificate).publicKey;
  return createVerify(hash).update(message).verify(key, signature);
}

maybe('the TEST My Number card', () => {
  let card: SimTransport;
  let signatureIssuer: CertificateIssuer;
  let authenticationIssuer: CertificateIssuer;
  let issued: Awaited<ReturnType<typeof issueTestMyNumberCard>>;

  beforeAll(async () => {
    card = await SimTransport.open({ myNumberCard: true, cardSeed: '4D4E4301' });
    signatureIssuer = await throwawayCa('CN=TEST Signature CA, O=JPKI-SIM TEST ONLY, C=JP', 'signature');
    const testCa = await TestCertificateAuthority.load();
    authenticationIssuer = { caCertificate: testCa.der, issue: (spki, subject) => testCa.issue(spki, subject) };
  });
  afterAll(async () => {
    await card?.close();
  });

  test('presents the TEST My Number card ATR and a blank JPKI application', async () => {
    expect(toHex(card.atr)).toBe('3B8880014A504B492D4D4E437C');
    const state = await readTestCardState(card);
    expect(state).toEqual({
      issued: false,
      signaturePasswordTriesLeft: 0,
      authenticationPinTriesLeft: 0,
      signatureKeyPresent: false,
      authenticationKeyPresent: false,
      signaturePasswordSet: false,
      authenticationPinSet: false,
    });
    await expect(signaturePasswordTriesLeft(card)).rejects.toMatchObject({ sw: 0x6985 });
  });

  test('issuance refuses a password outside JPKI rule before touching the card', async () => {
    for (const password of ['SHORT', 'lowercase1', 'WITH-DASH', 'A'.repeat(17)]) {
      await expect(issueTestMyNumberCard(card, { signatureIssuer, authenticationIssuer, password, pin: PIN, subject: SUBJECT })).rejects.toThrow(
        UsageError,
      );
    }
    await expect(
      issueTestMyNumberCard(card, { signatureIssuer, authenticationIssuer, password: PASSWORD, pin: '12345', subject: SUBJECT }),
    ).rejects.toThrow(UsageError);
  });

  test('issues the card: keys generated on the card, certified, written; the card reports itself issued', async () => {
    issued = await issueTestMyNumberCard(card, { signatureIssuer, authenticationIssuer, password: PASSWORD, pin: PIN, subject: SUBJECT });
    expect(issued.signaturePublicKey.length).toBe(294);
    expect(toHex(issued.signaturePublicKey)).not.toBe(toHex(issued.authenticationPublicKey));
    expect(await readTestCardState(card)).toEqual({
      issued: true,
      signaturePasswordTriesLeft: 5,
      authenticationPinTriesLeft: 3,
      signatureKeyPresent: true,
      authenticationKeyPresent: true,
      signaturePasswordSet: true,
      authenticationPinSet: true,
    });
  });

  test('reads back both certificates and both CA certificates, and the token information', async () => {
    const signatureCertificate = await readSignatureCertificate(card);
    expect(toHex(signatureCertificate)).toBe(toHex(issued.signatureCertificate));
    expect(new X509Certificate(signatureCertificate).subject).toContain('CN=TEST Applicant Taro');
    expect(new X509Certificate(signatureCertificate).checkIssued(new X509Certificate(await readSignatureCaCertificate(card)))).toBe(true);
    expect(toHex(await readSignatureCaCertificate(card))).toBe(toHex(signatureIssuer.caCertificate));
    expect(toHex(await readAuthenticationCertificate(card))).toBe(toHex(issued.authenticationCertificate));
    expect(toHex(await readAuthenticationCaCertificate(card))).toBe(toHex(authenticationIssuer.caCertificate));
    await selectJpkiApplication(card);
    expect(Buffer.from(await readBinaryFile(card, 0x0006)).toString('ascii')).toBe('JPKIAPICCTOKEN2'.padEnd(32, ' '));
  });

  test('signs an application with the signature key; the signature verifies against the certificate', async () => {
    const signature = await signWithSignatureKey(card, PASSWORD, { data: APPLICATION });
    expect(signature.length).toBe(256);
    const certificate = await readSignatureCertificate(card);
    expect(verifies(certificate, APPLICATION, signature)).toBe(true);
    expect(verifies(issued.authenticationCertificate, APPLICATION, signature)).toBe(false);
    // A DigestInfo made by the caller, with another hash.
    const info = digestInfo('sha384', hashMessage('sha384', APPLICATION));
    expect(verifies(certificate, APPLICATION, await signWithSignatureKey(card, PASSWORD, info), 'sha384')).toBe(true);
  });

  test('signs with the user-authentication key after the PIN', async () => {
    const signature = await signWithAuthenticationKey(card, PIN, { data: APPLICATION, hash: 'sha256' });
    expect(verifies(issued.authenticationCertificate, APPLICATION, signature)).toBe(true);
    expect(await authenticationPinTriesLeft(card)).toBe(3);
  });

  test('an issued card refuses to be issued again: 6985', async () => {
    const again = issueTestMyNumberCard(card, { signatureIssuer, authenticationIssuer, password: PASSWORD, pin: PIN, subject: SUBJECT });
    await expect(again).rejects.toThrow(CardStatusError);
    await expect(again).rejects.toMatchObject({ sw: 0x6985 });
    expect(toHex(await readSignatureCertificate(card))).toBe(toHex(issued.signatureCertificate));
  });

  test('a wrong password counts down, the right one restores the count, five wrong ones block the key', async () => {
    const wrong = (): Promise<Uint8Array> => signWithSignatureKey(card, 'WRONG123', { data: APPLICATION });
    await expect(wrong()).rejects.toThrow(WrongPasswordError);
    await expect(wrong()).rejects.toMatchObject({ sw: 0x63c3, triesLeft: 3 });
    expect(await signaturePasswordTriesLeft(card)).toBe(3);
    await signWithSignatureKey(card, PASSWORD, { data: APPLICATION });
    expect(await signaturePasswordTriesLeft(card)).toBe(5);
    for (const left of [4, 3, 2, 1, 0]) {
      const error: unknown = await wrong().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WrongPasswordError);
      expect(error).toBeInstanceOf(CardStatusError);
      expect((error as WrongPasswordError).triesLeft).toBe(left);
    }
    await expect(signWithSignatureKey(card, PASSWORD, { data: APPLICATION })).rejects.toMatchObject({ sw: 0x63c0, triesLeft: 0 });
    expect(await signaturePasswordTriesLeft(card)).toBe(0);
    // Blocked across a power cycle; the user-authentication side still works.
    await card.reset({ cold: true });
    expect(await signaturePasswordTriesLeft(card)).toBe(0);
    expect(verifies(issued.authenticationCertificate, APPLICATION, await signWithAuthenticationKey(card, PIN, { data: APPLICATION }))).toBe(true);
  });

  test('a raw COMPUTE DIGITAL SIGNATURE without VERIFY is refused: 6982', async () => {
    await selectJpkiApplication(card);
    expect(toHex(await card.transmit(parseHex('00A4020C020017')))).toBe('9000');
    expect(toHex(await card.transmit(parseHex('802A00801501020304050607080910111213141516171819202100')))).toBe('6982');
  });
});

maybe('TEST issuance with an issuer that certifies another key', () => {
  test('is refused before anything is written, and the card stays open for issuance', async () => {
    const card = await SimTransport.open({ myNumberCard: true });
    try {
      const good = await throwawayCa('CN=TEST CA, C=JP', 'signature');
      const other = await throwawayCa('CN=TEST Other, C=JP', 'signature');
      const otherKey = new X509Certificate(other.caCertificate).publicKey.export({ format: 'der', type: 'spki' });
      const wrongKey: CertificateIssuer = {
        caCertificate: good.caCertificate,
        issue: (_spki, subject) => good.issue(new Uint8Array(otherKey), subject),
      };
      await expect(
        issueTestMyNumberCard(card, { signatureIssuer: wrongKey, authenticationIssuer: good, password: PASSWORD, pin: PIN, subject: SUBJECT }),
      ).rejects.toThrow(TestIssuanceError);
      expect((await readTestCardState(card)).issued).toBe(false);
      expect((await readSignatureCertificate(card)).length).toBe(0);
    } finally {
      await card.close();
    }
  });
});
