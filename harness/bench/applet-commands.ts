/**
 * Per-command timing of the JPKI applet on the simulator: SELECT, READ BINARY of a whole
 * 2 KB certificate, VERIFY and COMPUTE DIGITAL SIGNATURE, on a freshly personalised card,
 * over the direct link and (when available) through pcscd.
 */
import { parseHex } from '../src/apdu/hex.js';
import { digestInfo } from '../src/apdu/digest-info.js';
import { JpkiClient } from '../src/jpki/client/client.js';
import { personaliseWithTestCredential } from '../src/jpki/test-ca/test-material.js';
import type { Transport } from '../src/transport/transport.js';
import { createHash } from 'node:crypto';
import { timingStats } from '../src/stats.js';
import { formatSummary } from './format.js';

const SELECT_JPKI = parseHex('00A4040C0AD392F000260100000001');

async function timed(samples: number[], work: () => Promise<unknown>): Promise<void> {
  const start = process.hrtime.bigint();
  await work();
  samples.push(Number(process.hrtime.bigint() - start) / 1e6);
}

/** A DER SEQUENCE of exactly `length` bytes, standing in for a large certificate (the applet checks 30 82 LL LL only). */
function syntheticCertificate(length: number): Uint8Array {
  const der = new Uint8Array(length);
  der.set([0x30, 0x82, (length - 4) >> 8, (length - 4) & 0xff]);
  for (let i = 4; i < length; i++) der[i] = (i * 31) & 0xff;
  return der;
}

export async function benchAppletCommands(label: string, transport: Transport, iterations: number): Promise<void> {
  // Personalise through the real path, then replace the certificate by a 2 KB one.
  await personaliseWithTestCredential(transport);
  const { openAdminSession, testContentKeys } = await import('../src/jpki/test-ca/test-material.js');
  const { sealContent, ContentTarget } = await import('../src/jpki/sp-tsm/sealer.js');
  const { putContentCommands } = await import('../src/apdu/jpki-commands.js');
  const client = new JpkiClient(transport);
  await client.selectApplication();
  const counter = (await client.information()).contentCounter + 1;
  const session = await openAdminSession(transport);
  for (const command of putContentCommands(
    ContentTarget.Certificate,
    sealContent(testContentKeys(session.keyDiversificationData), ContentTarget.Certificate, syntheticCertificate(2048), counter),
  )) {
    await session.transmit(command);
  }
  await session.end();
  await client.selectApplication();

  const info = digestInfo('sha256', createHash('sha256').update('bench').digest());
  const select: number[] = [];
  const read: number[] = [];
  const verify: number[] = [];
  const sign: number[] = [];
  // Warm-up: the simulator's JIT and its RSA implementation.
  for (let i = 0; i < 20; i++) {
    await client.verifyPin('1234');
    await client.signDigestInfo(info);
  }
  for (let i = 0; i < iterations; i++) {
    await timed(select, () => transport.transmit(SELECT_JPKI));
    await timed(read, async () => {
      const cert = await client.readFile(0x000a);
      if (cert.length !== 2048) throw new Error(`read ${cert.length} bytes`);
    });
    await timed(verify, () => client.verifyPin('1234'));
    await timed(sign, () => client.signDigestInfo(info));
  }
  console.log(`\n${label}: JPKI applet commands, ${iterations} iterations each`);
  console.log(formatSummary('  SELECT application', timingStats(select)));
  console.log(formatSummary('  READ BINARY 2 KB (SELECT EF + 9)', timingStats(read)));
  console.log(formatSummary('  VERIFY (SELECT EF + VERIFY)', timingStats(verify)));
  console.log(formatSummary('  SIGN (SELECT EF + 80 2A)', timingStats(sign)));
}
