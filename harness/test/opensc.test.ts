import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createPublicKey, createVerify, X509Certificate } from 'node:crypto';
import { SimulatorProcess } from '../src/sim/simulator-process.js';
import { PcscTransport } from '../src/transport/pcsc.js';
import { personaliseWithTestCredential } from '../src/jpki/test-ca/test-material.js';
import { announceSkip, vector } from './support.js';
import { commandExists, OPENSC_MODULE, openscSkipReason, pkcs11SignArguments } from './opensc-support.js';

/**
 * Unmodified OpenSC (Debian's opensc package) against the personalised applet on the simulator,
 * through pcscd and vpcd: PKCS#15 listing and reading, PKCS#11 login and signing, and the
 * signature checked with the certificate read from the card.
 */
const exec = promisify(execFile);
const SLOT_PORT = 35964;
const READER = 'Virtual PCD 00 01';
const module = OPENSC_MODULE;

const reason = await openscSkipReason(SLOT_PORT);
if (reason) announceSkip('OpenSC against the applet', reason);
const maybe = reason ? describe.skip : describe;

maybe('unmodified OpenSC against the personalised applet (pcscd + vpcd)', () => {
  let simulator: SimulatorProcess;
  const work = mkdtempSync(path.join(tmpdir(), 'jpki-opensc-'));

  beforeAll(async () => {
    simulator = SimulatorProcess.start({ connect: `127.0.0.1:${SLOT_PORT}` }).process;
    // The harness personalises as an SP-TSM, then lets go of the reader for OpenSC.
    const transport = await PcscTransport.open({ reader: READER, timeoutMs: 15000 });
    try {
      await personaliseWithTestCredential(transport);
    } finally {
      await transport.close();
    }
  }, 60000);
  afterAll(async () => {
    await simulator?.stop();
  });

  test('pkcs15-tool lists the user-authentication certificates', async () => {
    const { stdout } = await exec('pkcs15-tool', ['--reader', READER, '--list-certificates']);
    expect(stdout).toContain('User Authentication Certificate]');
    expect(stdout).toMatch(/Path\s+:\s+000a/);
    expect(stdout).toContain('Encoded serial : 02 04 1234ABCD');
    expect(stdout).toContain('User Authentication Certificate CA]');
  });

  test('pkcs15-tool lists both PINs, the signature PIN with no tries', async () => {
    const { stdout } = await exec('pkcs15-tool', ['--reader', READER, '--list-pins']);
    expect(stdout).toMatch(/User Authentication PIN[\s\S]*Tries left\s+:\s+3/);
    expect(stdout).toMatch(/Digital Signature PIN[\s\S]*Tries left\s+:\s+0/);
  });

  test('pkcs15-tool reads the certificate byte for byte', async () => {
    const { stdout } = await exec('pkcs15-tool', ['--reader', READER, '--read-certificate', '01']);
    const read = new X509Certificate(stdout);
    expect(read.raw.equals(readFileSync(vector('certs', 'test-auth.der')))).toBe(true);
  });

  test('pkcs11-tool logs in and signs; openssl-equivalent verification with the certificate from the card', async () => {
    const message = path.join(work, 'message.bin');
    const signature = path.join(work, 'signature.bin');
    writeFileSync(message, 'challenge from a relying party');
    await exec('pkcs11-tool', ['--module', module!, '--slot-description', READER, ...pkcs11SignArguments('1234', message, signature)]);
    const { stdout } = await exec('pkcs15-tool', ['--reader', READER, '--read-certificate', '01']);
    const publicKey = createPublicKey(new X509Certificate(stdout).publicKey.export({ format: 'pem', type: 'spki' }));
    const verifier = createVerify('sha256');
    verifier.update(readFileSync(message));
    expect(readFileSync(signature).length).toBe(256);
    expect(verifier.verify(publicKey, readFileSync(signature))).toBe(true);
    if (await commandExists('openssl')) {
      const pem = path.join(work, 'public.pem');
      writeFileSync(pem, publicKey.export({ format: 'pem', type: 'spki' }));
      const { stdout: verdict } = await exec('openssl', ['dgst', '-sha256', '-verify', pem, '-signature', signature, message]);
      expect(verdict.trim()).toBe('Verified OK');
    }
  });

  test('pkcs11-tool --test --login: random numbers (GET CHALLENGE), digests, every signature mechanism, no errors', async () => {
    const { stdout } = await exec('pkcs11-tool', ['--module', module!, '--slot-description', READER, '--test', '--login', '--pin', '1234']);
    expect(stdout).toMatch(/C_GenerateRandom\(\):[\s\S]*seems to be OK/);
    expect(stdout).toMatch(/SHA256-RSA-PKCS: OK/);
    expect(stdout).toMatch(/No errors/);
  });

  test('pkcs11-tool with a wrong PIN is refused and costs a try', async () => {
    await expect(
      exec('pkcs11-tool', ['--module', module!, '--slot-description', READER, '--login', '--pin', '0000', '--list-objects']),
    ).rejects.toThrow(/CKR_PIN_INCORRECT|PIN/);
    const { stdout } = await exec('pkcs15-tool', ['--reader', READER, '--list-pins']);
    expect(stdout).toMatch(/User Authentication PIN[\s\S]*Tries left\s+:\s+2/);
  });
});
