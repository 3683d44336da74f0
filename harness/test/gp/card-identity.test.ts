/**
 * Every simulated card is its own card: two cards side by side (direct link) differ in IIN, CIN, CPLC,
 * ICCID, key diversification data and ISD keys; the TEST master opens both; one card's keys and one
 * card's recorded secure-channel session do not work on the other; a seed gives the same card again.
 */
import { parseHex, toHex } from '../../src/apdu/hex.js';
import { CardCryptogramError } from '../../src/gp/errors.js';
import { diversifyKeySet, makeKeySet, SIMULATOR_TEST_MASTER_KEY } from '../../src/gp/keys.js';
import { GpSession } from '../../src/gp/session.js';
import type { TransmitOptions, Transport } from '../../src/transport/transport.js';
import { SimTransport } from '../../src/transport/sim.js';
import { announceSkip, simulatorJarBuilt } from '../support.js';

const reason = simulatorJarBuilt() ? undefined : 'simulator jar not built (ant simulator)';
if (reason) announceSkip('card identity', reason);
const maybe = reason ? describe.skip : describe;
const ISD = '00A4040008A000000151000000';

/** Records every exchange of the transport it wraps. */
class Recorder implements Transport {
  readonly exchanges: { command: Uint8Array; response: Uint8Array }[] = [];
  constructor(private readonly inner: Transport) {}
  get description(): string {
    return this.inner.description;
  }
  get atr(): Uint8Array {
    return this.inner.atr;
  }
  async transmit(command: Uint8Array, options?: TransmitOptions): Promise<Uint8Array> {
    const response = await this.inner.transmit(command, options);
    this.exchanges.push({ command: Uint8Array.from(command), response: Uint8Array.from(response) });
    return response;
  }
  reset(options?: { cold?: boolean }): Promise<Uint8Array> {
    return this.inner.reset(options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

async function get(t: Transport, apdu: string): Promise<string> {
  const r = await t.transmit(parseHex(apdu));
  expect(toHex(r.subarray(-2))).toBe('9000');
  return toHex(r.subarray(0, -2));
}

async function identity(t: Transport): Promise<Record<string, string>> {
  await get(t, ISD);
  const out: Record<string, string> = {};
  for (const tag of ['0042', '0045', '9F7F', '00CF']) out[tag] = await get(t, `80CA${tag}00`);
  await get(t, '00A4000C022FE2');
  out.iccid = await get(t, '00B000000A');
  return out;
}

maybe('two simulated cards side by side', () => {
  let a: SimTransport;
  let b: SimTransport;

  beforeAll(async () => {
    [a, b] = await Promise.all([SimTransport.open(), SimTransport.open()]);
  }, 60000);

  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  test('IIN, CIN, CPLC, KDD and ICCID differ', async () => {
    const ia = await identity(a);
    const ib = await identity(b);
    for (const key of Object.keys(ia)) expect(ia[key]).not.toBe(ib[key]);
    expect(ia['0042']).toMatch(/^42068981/);
    expect(ia['0045']).toMatch(/^4508/);
    expect(ia['9F7F']).toMatch(/^9F7F2A/);
    expect(ia['9F7F']!.length).toBe(2 * (3 + 42));
    expect(ia['00CF']).toMatch(/^CF0A/);
    expect(ia.iccid).toMatch(/^9818[0-9]{14}F[0-9]$/);
  });

  test('the TEST master opens both, each card with the KDD it returns, and the keys of one do not open the other', async () => {
    const master = makeKeySet(0, SIMULATOR_TEST_MASTER_KEY);
    await get(a, ISD);
    const sa = await GpSession.open(a, { keys: master, diversification: 'kdf3', securityLevel: 0x03 });
    const kddA = sa.keyDiversificationData;
    expect(toHex(kddA)).toBe((await identity(a))['00CF']!.slice(4));
    await sa.end();
    const sb = await GpSession.open(b, { keys: master, diversification: 'kdf3', securityLevel: 0x03 });
    expect(toHex(sb.keyDiversificationData)).not.toBe(toHex(kddA));
    await sb.end();
    // SCP02 key set 20: EMV CPS diversification
    const s02 = await GpSession.open(b, {
      keys: makeKeySet(0x20, SIMULATOR_TEST_MASTER_KEY),
      diversification: 'emv',
      scp: 2,
      i: 0x55,
      securityLevel: 0x01,
    });
    await s02.end();
    // card A's own static keys are not card B's
    const cardAKeys = diversifyKeySet(master, kddA, 'kdf3');
    await expect(GpSession.open(b, { keys: cardAKeys, securityLevel: 0x01 })).rejects.toThrow(CardCryptogramError);
    // nor is the undiversified master a card's key any more
    await expect(GpSession.open(a, { keys: master, securityLevel: 0x01 })).rejects.toThrow(CardCryptogramError);
  });

  test("card A's recorded session does not work on card B", async () => {
    const hostChallenge = parseHex('0011223344556677');
    const recorder = new Recorder(a);
    const s = await GpSession.open(recorder, {
      keys: makeKeySet(0, SIMULATOR_TEST_MASTER_KEY),
      diversification: 'kdf3',
      securityLevel: 0x01,
      hostChallenge,
    });
    await s.end();
    const [select, iu, ea] = recorder.exchanges;
    expect(toHex(ea!.response)).toBe('9000');
    await b.transmit(select!.command);
    const iuB = await b.transmit(iu!.command);
    expect(toHex(iuB.subarray(-2))).toBe('9000');
    // another KDD, and for the same host challenge another card cryptogram (bytes 22..29 of SCP03 S8)
    expect(toHex(iuB.subarray(0, 10))).not.toBe(toHex(iu!.response.subarray(0, 10)));
    expect(toHex(iuB.subarray(21, 29))).not.toBe(toHex(iu!.response.subarray(21, 29)));
    // A's host cryptogram and C-MAC are refused by B
    expect(['6982', '6300']).toContain(toHex(await b.transmit(ea!.command)));
  });

  test('a seed makes the same card again', async () => {
    const [x, y] = await Promise.all([SimTransport.open({ cardSeed: '5EED' }), SimTransport.open({ cardSeed: '5EED' })]);
    try {
      expect(await identity(x)).toEqual(await identity(y));
    } finally {
      await x.close();
      await y.close();
    }
  }, 30000);
});
