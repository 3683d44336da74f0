import { createDecipheriv, createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ResponseApdu } from '../../src/apdu/response.js';
import { GpSession } from '../../src/gp/session.js';
import { diversifyKeySet, makeKeySet, SIMULATOR_TEST_MASTER_KEY, type KeySet } from '../../src/gp/keys.js';
import { createSecurityDomain, extradite, putKeys } from '../../src/gp/manager.js';
import { JPKI_AID } from '../../src/jpki/client/client.js';
import { AppletAdministration, personalise, readInformation } from '../../src/jpki/sp-tsm/personalise.js';
import { setContentKeysCommands } from '../../src/apdu/jpki-commands.js';
import { ContentTarget, authoriseCommand, keyTransportPayload, sealContent, type ContentKeys } from '../../src/jpki/sp-tsm/sealer.js';
import { keyImportLayout } from '../../src/jpki/sp-tsm/key-import.js';
import { attestCard, testContentKeysFor, TEST_GP_KEYS } from '../../src/jpki/test-ca/test-material.js';
import { TestCertificateAuthority } from '../../src/jpki/test-ca/test-ca.js';
import { SimTransport } from '../../src/transport/sim.js';
import type { Transport } from '../../src/transport/transport.js';
import { announceSkip, PassThroughTransport, simulatorJarBuilt, vector } from '../support.js';

/**
 * The operator as the adversary (docs/threat-model.md, "Key delivery"). The MNO holds every key of
 * the issuer security domain, learns the keys of the SP's supplementary security domain (PUT KEY
 * is encrypted under a DEK it knows), and records everything. So this test hands it more than a
 * transcript: the plaintext of every command and answer inside every secure channel, of install,
 * handover, personalisation, PIN reset and renewal. From that it must recover no private key,
 * PIN or content key; and with its own channels (after extraditing the applet back to the ISD)
 * it must not be able to change PIN policy, reset the PIN, replace key or certificate, terminate,
 * or sign without the PIN.
 */
const reason = simulatorJarBuilt() ? undefined : 'build/jpki-simulator.jar is missing (run ant simulator)';
if (reason) announceSkip('the operator adversary', reason);
const maybe = reason ? describe.skip : describe;

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const SSD_AID = hex('A000000151535041534902');
const SP_SSD_KEY = hex('53502D54534D2D4F574E2D4B45592D31');
const ISD_KEYS: KeySet = TEST_GP_KEYS;

/** Everything that crossed a transport, both ways: what the adversary sees of one layer. */
class Recorder extends PassThroughTransport {
  readonly frames: Buffer[] = [];
  override async transmit(command: Uint8Array, options?: Parameters<Transport['transmit']>[1]): Promise<Uint8Array> {
    this.frames.push(Buffer.from(command));
    const response = await this.inner.transmit(command, options);
    this.frames.push(Buffer.from(response));
    return response;
  }
}

maybe('the operator, with every security-domain key and the plaintext of every session', () => {
  let card: SimTransport;
  let wire: Recorder;
  /** The plaintext inside the secure channels: granted to the adversary, who holds the keys. */
  const inside: Buffer[] = [];
  let contentKeys: ContentKeys;
  const secrets: { name: string; bytes: Buffer }[] = [];
  let recordedAuthorised: Uint8Array[] = [];
  let recordedEnvelopes: Uint8Array[] = [];
  let kdd: Uint8Array = new Uint8Array(10);

  const session = async (keys: KeySet, sdAid: Uint8Array, diversification: 'kdf3' | 'none'): Promise<{ s: GpSession; plain: Recorder }> => {
    const s = await GpSession.open(wire, { keys, securityLevel: 0x33, sdAid, diversification });
    return { s, plain: new Recorder(s) };
  };
  const keep = (plain: Recorder): void => {
    inside.push(...plain.frames);
  };

  const rsaComponents = (key: KeyObject, label: string): void => {
    const jwk = key.export({ format: 'jwk' });
    for (const part of ['p', 'q', 'd', 'dp', 'dq', 'qi'] as const) {
      secrets.push({ name: `${label} ${part}`, bytes: Buffer.from(jwk[part]!, 'base64url') });
    }
  };

  beforeAll(async () => {
    card = await SimTransport.open({ cardSeed: '0A'.repeat(32) });
    wire = new Recorder(card);

    // Install and handover: the MNO creates the SP's SSD, extradites the applet to it, and the SP
    // replaces the SSD's transport keys with its own (PUT KEY, under a DEK the MNO knows).
    let { s, plain } = await session(ISD_KEYS, hex('A000000151000000'), 'kdf3');
    kdd = s.keyDiversificationData;
    await createSecurityDomain(s, SSD_AID);
    await extradite(s, SSD_AID, JPKI_AID);
    await s.end();
    keep(plain);
    ({ s, plain } = await session(ISD_KEYS, SSD_AID, 'kdf3'));
    await putKeys(s, { version: 0x30, enc: SP_SSD_KEY, mac: SP_SSD_KEY, dek: SP_SSD_KEY }, 0x30);
    await s.end();
    keep(plain);
    secrets.length = 0;

    // Personalisation by the SP-TSM: attestation checked, content keys by key transport.
    const { attestation } = await attestCard(wire);
    contentKeys = testContentKeysFor(attestation);
    secrets.push({ name: 'K-ENC', bytes: Buffer.from(contentKeys.encryption) }, { name: 'K-MAC', bytes: Buffer.from(contentKeys.mac) });
    const userKey = createPrivateKey(readFileSync(vector('certs', 'test-auth.key.pem')));
    rsaComponents(userKey, 'user key');
    const ca = await TestCertificateAuthority.load(vector('certs'));
    ({ s, plain } = await session(makeKeySet(0x30, SP_SSD_KEY), JPKI_AID, 'none'));
    await personalise(plain, {
      contentKeys,
      attestation,
      key: { import: userKey },
      certificate: readFileSync(vector('certs', 'test-auth.der')),
      caCertificate: ca.der,
      pin: '1234',
    });
    await s.end();
    keep(plain);
    secrets.push({ name: 'initial PIN', bytes: Buffer.from('1234', 'ascii') });

    // PIN reset after the user forgot it.
    ({ s, plain } = await session(makeKeySet(0x30, SP_SSD_KEY), JPKI_AID, 'none'));
    await (await AppletAdministration.open(plain, contentKeys)).resetPin('9876');
    await s.end();
    keep(plain);
    secrets.push({ name: 'reset PIN', bytes: Buffer.from('9876', 'ascii') });

    // Renewal: a new key and its certificate.
    const renewed = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
    rsaComponents(renewed.privateKey, 'renewed key');
    ({ s, plain } = await session(makeKeySet(0x30, SP_SSD_KEY), JPKI_AID, 'none'));
    const admin = await AppletAdministration.open(plain, contentKeys);
    await admin.put(ContentTarget.PrivateKey, keyImportLayout(renewed.privateKey), 'renewed key');
    const spki = renewed.publicKey.export({ format: 'der', type: 'spki' });
    await admin.put(ContentTarget.Certificate, await ca.issue(new Uint8Array(spki)), 'renewed certificate');
    await s.end();
    keep(plain);

    // What the adversary can replay: every authorised command and envelope the SP-TSM sent.
    const commands = inside.filter((frame, i) => i % 2 === 0 && frame[0] === 0x84);
    recordedAuthorised = commands.filter((c) => [0x46, 0xda, 0xf0].includes(c[1]!));
    recordedEnvelopes = commands.filter((c) => c[1] === 0xdb);
  }, 120000);

  afterAll(async () => {
    await card?.close();
  });

  test('the transcript holds the sessions of install, handover, personalisation, PIN reset and renewal', () => {
    expect(inside.length).toBeGreaterThan(40);
    expect(recordedEnvelopes.length).toBeGreaterThan(10);
    expect(recordedAuthorised.length).toBeGreaterThan(0);
  });

  test('no private-key component, PIN or content key appears anywhere, in clear or inside the channels', () => {
    const corpus = Buffer.concat([...wire.frames, ...inside]);
    for (const secret of secrets) {
      const probes = secret.bytes.length <= 16 ? [secret.bytes] : [0, 1, 2, 3].map((k) => secret.bytes.subarray(k * 16, k * 16 + 16));
      for (const probe of probes) expect({ secret: secret.name, found: corpus.includes(probe) }).toEqual({ secret: secret.name, found: false });
    }
  });

  test('no key the operator holds opens a sealed envelope', () => {
    const held: Uint8Array[] = [SIMULATOR_TEST_MASTER_KEY, SP_SSD_KEY];
    const isdDiversified = diversifyKeySet(ISD_KEYS, kdd, 'kdf3');
    held.push(isdDiversified.enc, isdDiversified.mac, isdDiversified.dek);
    for (const envelope of recordedEnvelopes.filter((c) => (c[3]! & 0x7f) === 0)) {
      const data = envelope.subarray(5, 5 + envelope[4]!);
      const counter = data.subarray(0, 4);
      const first = data.subarray(4, 20);
      for (const key of held) {
        const d = createDecipheriv('aes-128-cbc', key, Buffer.alloc(16));
        d.setAutoPadding(false);
        const block = Buffer.concat([d.update(first), d.final()]);
        expect(block.subarray(0, 4).equals(counter) && block.subarray(4).every((b) => b === 0)).toBe(false);
      }
    }
  });

  describe('actively, with its own channel after taking the applet back to the ISD', () => {
    let operator: GpSession;
    /** How the operator opens its channel to the applet: first through the ISD, later its own SSD. */
    let open = async (): Promise<GpSession> =>
      GpSession.open(card, { keys: ISD_KEYS, securityLevel: 0x33, sdAid: JPKI_AID, diversification: 'kdf3' });
    /** One attempt per session: the harness treats a 6982 as the end of a session, as a careful host must. */
    const send = async (apdu: Uint8Array): Promise<number> => {
      if (!operator.isOpen) operator = await open();
      return new ResponseApdu(await operator.transmit(apdu)).sw;
    };
    const info = async (): Promise<Awaited<ReturnType<typeof readInformation>>> => {
      if (!operator.isOpen) operator = await open();
      return readInformation(operator);
    };

    beforeAll(async () => {
      const isd = await GpSession.open(card, { keys: ISD_KEYS, securityLevel: 0x03, diversification: 'kdf3' });
      await extradite(isd, hex('A000000151000000'), JPKI_AID);
      await isd.end();
      operator = await open();
    });
    afterAll(async () => {
      await operator?.end();
    });

    test('its own session opens: the GlobalPlatform gate alone is passed', async () => {
      expect(operator.isOpen).toBe(true);
      expect((await info()).lifecycle).toBe('personalised');
    });

    test('every recorded authorised command and envelope is refused when replayed', async () => {
      for (const command of recordedAuthorised) expect(await send(command)).toBe(0x6982);
      // Envelopes whole, block 0 to the last: the blocks are staged, the last one is checked.
      let envelopes = 0;
      for (const command of recordedEnvelopes) {
        const sw = await send(command);
        if ((command[3]! & 0x80) !== 0) {
          expect(sw).toBe(0x6982);
          envelopes += 1;
        } else {
          expect(sw).toBe(0x9000);
        }
      }
      expect(envelopes).toBeGreaterThanOrEqual(6);
    });

    test('commands tagged under any key it holds are refused: PIN-less, terminate, generate, PIN reset, key import', async () => {
      const counter = (await info()).contentCounter + 1;
      const forged: ContentKeys = { encryption: SP_SSD_KEY, mac: SP_SSD_KEY };
      const data = authoriseCommand(forged, { ins: 0xda, p1: 0, p2: 0 }, Uint8Array.of(1), counter);
      expect(await send(Uint8Array.from([0x84, 0xda, 0, 0, data.length, ...data]))).toBe(0x6982);
      const end = authoriseCommand(forged, { ins: 0xf0, p1: 0x7f, p2: 0 }, new Uint8Array(0), counter);
      expect(await send(Uint8Array.from([0x84, 0xf0, 0x7f, 0, end.length, ...end]))).toBe(0x6982);
      const generate = authoriseCommand(forged, { ins: 0x46, p1: 0, p2: 0 }, new Uint8Array(0), counter);
      expect(await send(Uint8Array.from([0x84, 0x46, 0, 0, generate.length, ...generate]))).toBe(0x6982);
      const pin = sealContent(forged, ContentTarget.Pin, Buffer.from('0000', 'ascii'), counter);
      expect(await send(Uint8Array.from([0x84, 0xdb, 0x18, 0x80, pin.length, ...pin]))).toBe(0x6982);
    });

    test('establishing content keys of its own is refused: the SP-TSM got there first, for good', async () => {
      await operator.end();
      const { attestation } = await attestCard(card);
      operator = await open();
      const own: ContentKeys = { encryption: new Uint8Array(16).fill(1), mac: new Uint8Array(16).fill(2) };
      const [first] = setContentKeysCommands(keyTransportPayload(own, attestation.transportKey));
      expect(await send(first!)).toBe(0x6985);
    });

    test('re-associated to a security domain of its own, with keys of its own: still refused', async () => {
      await operator.end();
      const ownSsd = hex('A000000151535041534903');
      const ownKey = hex('4D4E4F2D4F574E2D4B45592D30303031');
      const isd = await GpSession.open(card, { keys: ISD_KEYS, securityLevel: 0x03, diversification: 'kdf3' });
      await createSecurityDomain(isd, ownSsd);
      await extradite(isd, ownSsd, JPKI_AID);
      await isd.end();
      const ssd = await GpSession.open(card, { keys: ISD_KEYS, securityLevel: 0x03, sdAid: ownSsd, diversification: 'kdf3' });
      await putKeys(ssd, { version: 0x30, enc: ownKey, mac: ownKey, dek: ownKey }, 0x30);
      await ssd.end();
      open = async () => GpSession.open(card, { keys: makeKeySet(0x30, ownKey), securityLevel: 0x33, sdAid: JPKI_AID, diversification: 'none' });
      operator = await open();
      const counter = (await info()).contentCounter + 1;
      const forged = authoriseCommand({ encryption: ownKey, mac: ownKey }, { ins: 0xda, p1: 0, p2: 0 }, Uint8Array.of(1), counter);
      expect(await send(Uint8Array.from([0x84, 0xda, 0, 0, forged.length, ...forged]))).toBe(0x6982);
      for (const command of recordedAuthorised) expect(await send(command)).toBe(0x6982);
    });

    test('nothing changed: PIN required, the reset PIN verifies, no signature without it', async () => {
      if (!operator.isOpen) operator = await open();
      const state = await info();
      expect(state.pinPolicy).toBe('pin-required');
      await operator.end();
      const plain = async (h: string): Promise<number> => new ResponseApdu(await card.transmit(hex(h))).sw;
      expect(await plain('00A4040C0A D392F000260100000001')).toBe(0x9000);
      expect(await plain('00A4020C02 0017')).toBe(0x9000);
      expect(await plain('802A0080 04 01020304 00')).toBe(0x6982);
      expect(await plain('00A4020C02 0018')).toBe(0x9000);
      expect(await plain('0020008004 39383736')).toBe(0x9000);
    });
  });
});
