import { execFile } from 'node:child_process';
import { createVerify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { personaTargets } from '../../src/compat/run-matrix.js';
import { openAdminSession } from '../../src/compat/profile-sessions.js';
import type { CompatTarget } from '../../src/compat/target.js';
import { personaliseWithTestCredential, TEST_PIN } from '../../src/jpki/test-ca/test-material.js';
import { JPKI_AID } from '../../src/jpki/client/client.js';
import { toHex } from '../../src/apdu/hex.js';
import { announceSkip, vector } from '../support.js';
import { startPersonaOnSlot, type PersonaOnSlot } from './persona-on-slot.js';
import { OPENSC_MODULE, openscSkipReason, pkcs11SignArguments } from '../opensc-support.js';

/**
 * Unmodified OpenSC against every vendor persona, through pcscd and vpcd as a phone's or PC's middleware would
 * meet the card: each persona is personalised by the SP-TSM flow with its own profile's keys and secure channel,
 * then pkcs15-tool lists and reads the certificate and pkcs11-tool signs, the signature checked against the
 * certificate. The non-conformant persona shows what OpenSC makes of a card that answers a blocked PIN with 6983.
 *
 * Latency: the personas run at latency scale 1 (their published operation times): nothing here generates a key,
 * and the slowest published signature (227 ms) costs little.
 */
const exec = promisify(execFile);
const SLOT_PORT = 35964;
const READER = 'Virtual PCD 00 01';
const LATENCY_SCALE = 1;
/** Other suites hold the shared slot for minutes at a time: wait for it rather than fail. */
const SLOT_WAIT_MS = 8 * 60_000;
const NON_CONFORMANT = 'wrong-blocked-pin-sw';
const module = OPENSC_MODULE;

const reason = await openscSkipReason(SLOT_PORT);
if (reason) announceSkip('OpenSC against the vendor personas', reason);

const targets = personaTargets(vector('profiles'));
const conformant = targets.filter((t) => t.name !== NON_CONFORMANT);
const nonConformant = targets.filter((t) => t.name === NON_CONFORMANT);
const findings: string[] = [];
const work = mkdtempSync(path.join(tmpdir(), 'jpki-opensc-personas-'));

/** Starts the persona on the shared slot and personalises it with the TEST credential through its profile. */
async function personalisedOnSlot(target: CompatTarget): Promise<PersonaOnSlot> {
  const card = await startPersonaOnSlot(target, { port: SLOT_PORT, reader: READER, latencyScale: LATENCY_SCALE, waitMs: SLOT_WAIT_MS });
  try {
    await personaliseWithTestCredential(card.transport, { openSession: () => openAdminSession(card.transport, target.profile) });
  } catch (e) {
    await card.transport.close().catch(() => undefined);
    await card.simulator.stop();
    throw e;
  }
  return card;
}

/** A T=0 persona (its file says protocol: t0): answers with 61xx and leaves the data to GET RESPONSE. */
function isT0(target: CompatTarget): boolean {
  return /^protocol:\s*t0\s*$/m.test(readFileSync(target.persona!, 'utf8'));
}

const pkcs15 = (...args: string[]) => exec('pkcs15-tool', ['--reader', READER, ...args]);
const pkcs11 = (...args: string[]) => exec('pkcs11-tool', ['--module', module!, '--slot-description', READER, ...args]);

async function signAndVerify(name: string): Promise<void> {
  const message = path.join(work, `${name}.msg`);
  const signature = path.join(work, `${name}.sig`);
  writeFileSync(message, `challenge for ${name}`);
  await pkcs11(...pkcs11SignArguments(TEST_PIN, message, signature));
  const { stdout } = await pkcs15('--read-certificate', '01');
  const verifier = createVerify('sha256');
  verifier.update(readFileSync(message));
  expect(readFileSync(signature).length).toBe(256);
  expect(verifier.verify(new X509Certificate(stdout).publicKey, readFileSync(signature))).toBe(true);
}

const each = reason ? describe.skip.each : describe.each;

each(conformant.map((t) => ({ name: t.name, target: t })))('OpenSC on the $name persona (pcscd + vpcd)', ({ name, target }) => {
  let card: PersonaOnSlot | undefined;
  beforeAll(async () => {
    card = await personalisedOnSlot(target);
    // The harness lets go of the reader: from here on only OpenSC talks to the card.
    await card.transport.close();
  }, SLOT_WAIT_MS + 120_000);
  afterAll(async () => {
    await card?.simulator.stop();
  });

  test('pkcs15-tool lists the user-authentication certificate and its CA', async () => {
    const { stdout } = await pkcs15('--list-certificates');
    expect(stdout).toContain('User Authentication Certificate]');
    expect(stdout).toContain('User Authentication Certificate CA]');
  });

  test('pkcs15-tool reads the certificate byte for byte', async () => {
    const { stdout } = await pkcs15('--read-certificate', '01');
    expect(new X509Certificate(stdout).raw.equals(readFileSync(vector('certs', 'test-auth.der')))).toBe(true);
  });

  if (!isT0(target)) {
    test('pkcs11-tool logs in and signs (SHA256-RSA-PKCS); the signature verifies with the certificate', async () => {
      await signAndVerify(name);
      findings.push(`${name}: listed, read byte for byte, signed and verified`);
    });
  } else {
    // OpenSC's JPKI driver sends COMPUTE DIGITAL SIGNATURE as case 4 with le = 0, which OpenSC reads as "no response
    // data wanted". Over T=1 the card's 256 bytes come back anyway; over T=0 the card answers 61 00 (ISO 7816-3: the
    // terminal fetches with GET RESPONSE), OpenSC's sc_get_response drops the data because le is 0, and the PKCS#15
    // layer pads the empty result to the modulus length. When this test fails, OpenSC has been fixed: use signAndVerify.
    test('T=0: pkcs11-tool reports success but its "signature" is 256 zero bytes (OpenSC drops the 61xx data)', async () => {
      const message = path.join(work, `${name}.msg`);
      const signature = path.join(work, `${name}.sig`);
      writeFileSync(message, `challenge for ${name}`);
      await pkcs11(...pkcs11SignArguments(TEST_PIN, message, signature));
      const bytes = readFileSync(signature);
      expect(bytes.length).toBe(256);
      expect(bytes.every((b) => b === 0)).toBe(true);
      findings.push(`${name} (T=0): listed and read byte for byte; pkcs11-tool "signed" with CKR_OK but returned 256 zero bytes`);
    });
  }

  if (name === 'standard') {
    // The conformant reference for the finding below: three wrong PINs through OpenSC, then its view of the PIN.
    test('three wrong PINs: OpenSC reports 0 tries left (63C0) and refuses the right PIN', async () => {
      for (let i = 0; i < 3; i++) await expect(pkcs11('--login', '--pin', '0000', '--list-objects')).rejects.toThrow(/CKR_PIN_INCORRECT/);
      const { stdout } = await pkcs15('--list-pins');
      expect(stdout).toMatch(/User Authentication PIN[\s\S]*Tries left\s+:\s+0/);
      await expect(pkcs11('--login', '--pin', TEST_PIN, '--list-objects')).rejects.toThrow(/CKR_PIN_(INCORRECT|LOCKED)/);
      findings.push('standard: after three wrong PINs pkcs15-tool --list-pins shows "Tries left: 0"; the right PIN is refused');
    });
  }
});

each(nonConformant.map((t) => ({ name: t.name, target: t })))('OpenSC on the non-conformant $name persona', ({ name, target }) => {
  let card: PersonaOnSlot | undefined;
  let signaturePinAnswer = '';
  beforeAll(async () => {
    card = await personalisedOnSlot(target);
    // What OpenSC's JPKI emulator asks first for each PIN: an empty VERIFY. The signature PIN (EF 001B) is never set
    // on this applet and answers as blocked; JPKI cards say 63C0 there, this persona says 6983.
    const t = card.transport;
    await t.transmit(Uint8Array.of(0x00, 0xa4, 0x04, 0x0c, JPKI_AID.length, ...JPKI_AID));
    await t.transmit(Uint8Array.of(0x00, 0xa4, 0x02, 0x0c, 0x02, 0x00, 0x1b));
    signaturePinAnswer = toHex((await t.transmit(Uint8Array.of(0x00, 0x20, 0x00, 0x80))).subarray(-2));
    await t.close();
  }, SLOT_WAIT_MS + 120_000);
  afterAll(async () => {
    await card?.simulator.stop();
  });

  test('the blocked signature PIN is answered 6983 where ISO 7816-4 and the JPKI interface give 63C0', () => {
    expect(signaturePinAnswer).toBe('6983');
  });

  test('OpenSC does not bind the card at all: every PKCS#15 and PKCS#11 operation fails', async () => {
    // OpenSC's JPKI driver reads the tries from an empty VERIFY and accepts only SW1 63; its emulator gives up on
    // the first PIN it cannot read, so the whole card is "unsupported", not merely its signature PIN.
    await expect(pkcs15('--list-pins')).rejects.toThrow(/Unsupported card|binding failed/);
    await expect(pkcs15('--list-certificates')).rejects.toThrow(/Unsupported card|binding failed/);
    await expect(pkcs11('--login', '--pin', TEST_PIN, '--list-objects')).rejects.toThrow(/CKR_TOKEN_NOT_RECOGNIZED|No slot|token/i);
    findings.push(`${name}: empty VERIFY of the signature PIN answered 6983; OpenSC: "PKCS#15 binding failed: Unsupported card", no token`);
  });
});

afterAll(() => {
  if (findings.length > 0) process.stderr.write(`OpenSC on the personas (latency scale ${LATENCY_SCALE}):\n  ${findings.join('\n  ')}\n`);
});
