import { existsSync, readFileSync } from 'node:fs';
import { parseHex, toHex } from '../src/apdu/hex.js';
import { readCardAuthorityCertificate, TEST_CARD_AUTHORITY_ROOT, verifyCardAuthority } from '../src/gp/card-authority.js';
import { CardCryptogramError } from '../src/gp/errors.js';
import { diversifyKeySet, makeKeySet, SIMULATOR_TEST_MASTER_KEY } from '../src/gp/keys.js';
import { GpSession } from '../src/gp/session.js';
import { JpkiClient } from '../src/jpki/client/client.js';
import { personaliseWithTestCredential } from '../src/jpki/test-ca/test-material.js';
import { SimulatorProcess } from '../src/sim/simulator-process.js';
import { PcscTransport } from '../src/transport/pcsc.js';
import { announceSkip, portListening, simulatorJarBuilt } from './support.js';

/**
 * One simulator host with a card in each vpcd slot (the transfer-between-SIMs set-up): two
 * independent cards, each seen by pcscd in its own reader.
 */
const SLOTS = [35963, 35964];
const READERS = ['Virtual PCD 00 00', 'Virtual PCD 00 01'];

async function slotFree(port: number): Promise<boolean> {
  // A vpcd slot accepts one card; a second connection would wait. Probe with the reader's state instead:
  // no card in it means nobody else's simulator is plugged in.
  try {
    const t = await PcscTransport.open({ reader: READERS[SLOTS.indexOf(port)]!, timeoutMs: 300 });
    await t.close();
    return false;
  } catch {
    return true;
  }
}

const pcscdUp = existsSync('/run/pcscd/pcscd.comm') && (await portListening(SLOTS[0]!)) && (await portListening(SLOTS[1]!));
const free = pcscdUp && (await slotFree(SLOTS[0]!)) && (await slotFree(SLOTS[1]!));
const reason = !simulatorJarBuilt()
  ? 'simulator jar missing (ant simulator)'
  : !pcscdUp
    ? 'pcscd with both vpcd slots is not running'
    : !free
      ? 'a card is already in one of the vpcd slots (a simulator is running)'
      : undefined;
if (reason) announceSkip('two cards in one simulator', reason);
const maybe = reason ? describe.skip : describe;

maybe('two independent cards from one simulator host', () => {
  test('each slot holds its own card: its own identity, keys and CASD; personalising one leaves the other untouched', async () => {
    const simulator = SimulatorProcess.start({ connect: SLOTS.map((p) => `127.0.0.1:${p}`) }).process;
    const first = await PcscTransport.open({ reader: READERS[0]!, timeoutMs: 15000 }).catch(async (e: unknown) => {
      await simulator.stop();
      throw e;
    });
    const second = await PcscTransport.open({ reader: READERS[1]!, timeoutMs: 15000 });
    try {
      await personaliseWithTestCredential(first);
      const a = new JpkiClient(first);
      const b = new JpkiClient(second);
      await a.selectApplication();
      await b.selectApplication();
      expect((await a.information()).lifecycle).toBe('personalised');
      expect((await b.information()).lifecycle).toBe('pre-personalised');
      // two cards, two identities: CIN, KDD and CASD certificate differ, and each opens with its own keys
      const cin = async (t: PcscTransport): Promise<string> => {
        await t.transmit(parseHex('00A4040008A000000151000000'));
        return toHex(await t.transmit(parseHex('80CA004500')));
      };
      expect(await cin(first)).not.toBe(await cin(second));
      const certA = await readCardAuthorityCertificate(first);
      const certB = await readCardAuthorityCertificate(second);
      expect(toHex(certA)).not.toBe(toHex(certB));
      const root = new Uint8Array(readFileSync(TEST_CARD_AUTHORITY_ROOT));
      expect(verifyCardAuthority(certA, root).cardIdentity.serialNumber).not.toBe(verifyCardAuthority(certB, root).cardIdentity.serialNumber);
      const master = makeKeySet(0, SIMULATOR_TEST_MASTER_KEY);
      const sa = await GpSession.open(first, { keys: master, diversification: 'kdf3', securityLevel: 0x01 });
      const kddA = sa.keyDiversificationData;
      await sa.end();
      const sb = await GpSession.open(second, { keys: master, diversification: 'kdf3', securityLevel: 0x01 });
      expect(toHex(sb.keyDiversificationData)).not.toBe(toHex(kddA));
      await sb.end();
      await expect(GpSession.open(second, { keys: diversifyKeySet(master, kddA, 'kdf3'), securityLevel: 0x01 })).rejects.toThrow(CardCryptogramError);
    } finally {
      await first.close();
      await second.close();
      await simulator.stop();
    }
  });
});
