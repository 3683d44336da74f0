import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ResponseApdu } from '../../src/apdu/response.js';
import { personaliseWithTestCredential } from '../../src/jpki/test-ca/test-material.js';
import { SimulatorProcess } from '../../src/sim/simulator-process.js';
import { packageRoot } from '../../src/package-root.js';
import { PcscTransport } from '../../src/transport/pcsc.js';
import { announceSkip, openOwnCard, portListening, simulatorJarBuilt } from '../support.js';

/**
 * A reader-side attacker with no keys, on the same PC/SC link the SP-TSM just used (docs/threat-model.md,
 * "Reader side"): ISO secure-messaging classes that no security domain verifies, other logical channels,
 * GET RESPONSE on the wrong channel. Through the real path: harness and CLI → node-pcsclite → pcscd → vpcd.
 */
const SLOT_PORT = 35964;
const READER = 'Virtual PCD 00 01';
/** This suite's own ATR: the slot is shared with other suites. */
const ATR = '3B8880014A504B492D41545441';
const CLI = path.join(packageRoot(), 'dist', 'harness', 'src', 'cli', 'main.js');
const JPKI = 'D392F000260100000001';
const SHA256_DIGEST_INFO = '3031300D060960864801650304020105000420' + '11'.repeat(32);

const pcscdUp = existsSync('/run/pcscd/pcscd.comm') && (await portListening(SLOT_PORT));
const reason = !simulatorJarBuilt()
  ? 'build/jpki-simulator.jar is missing (run ant simulator)'
  : !pcscdUp
    ? `pcscd with vpcd is not listening on ${SLOT_PORT}`
    : undefined;
if (reason) announceSkip('the reader-side attacker through pcscd', reason);
const maybe = reason ? describe.skip : describe;

maybe('a reader-side attacker through pcscd, after the SP-TSM personalised the card', () => {
  let simulator: SimulatorProcess | undefined;
  let transport: PcscTransport | undefined;
  const sw = async (apdu: string): Promise<string> =>
    new ResponseApdu(await transport!.transmit(Buffer.from(apdu.replace(/\s/g, ''), 'hex'))).sw.toString(16).toUpperCase().padStart(4, '0');

  beforeAll(async () => {
    simulator = SimulatorProcess.start({ connect: `127.0.0.1:${SLOT_PORT}`, atr: ATR }).process;
    transport = await openOwnCard(READER, ATR);
    await personaliseWithTestCredential(transport);
  }, 90000);
  afterAll(async () => {
    await transport?.close();
    await simulator?.stop();
  });

  test('on the same link, CLA 88-8B administration passes no gate: no PIN-less, no keys, no termination, no signature without PIN', async () => {
    expect(await sw(`00A4040C0A ${JPKI}`)).toBe('9000');
    expect(await sw('88DA0000 01 01')).toBe('6982');
    expect(await sw('88D40080 10' + '00'.repeat(16))).toBe('6982');
    expect(await sw('88DB1880 24' + '00'.repeat(36))).toBe('6982');
    expect(await sw('8846000014' + '00'.repeat(20))).toBe('6982');
    expect(await sw('88F07F00 14' + '00'.repeat(20))).toBe('6982');
    expect(await sw('8C DA0000 01 01')).toBe('6982');
    expect(await sw('00A4020C02 0017')).toBe('9000');
    expect(await sw(`802A0080 33 ${SHA256_DIGEST_INFO} 00`)).toBe('6982');
    // 89-8B name channels 1-3, not open on this link: refused by the runtime (6881) or, if open, by the gate (6982).
    for (const cla of ['89', '8A', '8B']) {
      const answer = await sw(`${cla}DA0000 01 01`);
      expect(['6982', '6881']).toContain(answer);
    }
  });

  test('the applet is active on one channel only: a PIN verified on one channel authorises nothing on another', async () => {
    // Applet on channel 0, PIN verified there; channel 1 (opened from 0: the card's default application).
    expect(await sw(`00A4040C0A ${JPKI}`)).toBe('9000');
    expect(await sw('00A4020C02 0018')).toBe('9000');
    expect(await sw('0020008004 31323334')).toBe('9000');
    expect(await sw('0070000001')).toBe('9000');
    expect(await sw(`01A4040C0A ${JPKI}`)).toBe('6985');
    expect(await sw('01A4020C02 0017')).not.toBe('9000');
    expect(await sw(`812A0080 33 ${SHA256_DIGEST_INFO} 00`)).not.toBe('9000');
    // Now the applet on channel 1, verified there; channel 0 cannot have it, and a channel opened
    // from 1 would inherit it without select(): refused.
    expect(await sw('00A4040C 08 A000000151000000')).toBe('9000');
    expect(await sw(`01A4040C0A ${JPKI}`)).toBe('9000');
    expect(await sw('01A4020C02 0018')).toBe('9000');
    expect(await sw('0120008004 31323334')).toBe('9000');
    expect(await sw('0170000001')).toBe('6985');
    expect(await sw(`00A4040C0A ${JPKI}`)).toBe('6985');
    expect(await sw(`802A0080 33 ${SHA256_DIGEST_INFO} 00`)).not.toBe('9000');
    expect(await sw('00708001 00')).toBe('9000');
  });

  test('through the CLI, each command a new connection: CLA 88 is refused just the same', async () => {
    // The harness holds the reader exclusively; let go of it for the other client.
    await transport?.close();
    transport = undefined;
    const out = execFileSync('node', [CLI, 'send', '-t', 'pcsc', '-r', READER, '--json', `00A4040C0A${JPKI}`, '88DA00000101'], { encoding: 'utf8' });
    const answers = (JSON.parse(out) as { response: string }[]).map((r) => r.response.slice(-4));
    expect(answers).toEqual(['9000', '6982']);
    transport = await openOwnCard(READER, ATR);
  });
});

if (!simulatorJarBuilt()) announceSkip('jpki-harness attest', 'build/jpki-simulator.jar is missing (run ant simulator)');
describe('jpki-harness attest: what an SP-TSM checks before it sends anything', () => {
  const attest = (...args: string[]) => spawnSync(process.execPath, [CLI, 'attest', '-t', 'sim', ...args], { encoding: 'utf8', timeout: 30000 });
  (simulatorJarBuilt() ? test : test.skip)(
    'the simulated card attests its applet key under the TEST card authority; another root is refused with exit 3',
    () => {
      const ok = attest('--json');
      expect(ok.status).toBe(0);
      const result = JSON.parse(ok.stdout) as { appletKeyFingerprint: string; card: { commonName: string } };
      expect(result.appletKeyFingerprint).toMatch(/^[0-9A-F]{64}$/);
      expect(result.card.commonName).toMatch(/^TEST CASD [0-9A-F]{16}$/);
      const wrong = attest('--card-authority-root', path.join(packageRoot(), 'test-vectors', 'certs', 'test-ca.der'));
      expect(wrong.status).toBe(3);
      expect(wrong.stderr).toMatch(/CASD certificate was not issued by/);
      expect(wrong.stderr).not.toMatch(/\n\s+at /);
    },
  );
});
