import { readFileSync } from 'node:fs';
import { parseHex, toHex } from '../../src/apdu/hex.js';
import { TEST_CARD_AUTHORITY_ROOT } from '../../src/gp/card-authority.js';
import { CapFile } from '../../src/gp/cap/cap.js';
import { deleteAid, listRegistry } from '../../src/gp/manager.js';
import { GpSession } from '../../src/gp/session.js';
import { TEST_GP_KEYS } from '../../src/jpki/test-ca/test-material.js';
import { cardName, identifyCard } from '../../src/services/card-identity.js';
import { runRemoteSession } from '../../src/services/device-agent/agent.js';
import { callJson } from '../../src/services/http/client.js';
import { startService, type RunningService } from '../../src/services/http/server.js';
import { MnoTsm } from '../../src/services/mno-tsm/service.js';
import { TEST_OPERATOR_A, testOperators } from '../../src/services/test-configuration.js';
import { RemoteSessions } from '../../src/services/remote-apdu/sessions.js';
import { SimTransport } from '../../src/transport/sim.js';
import type { Transport, TransmitOptions } from '../../src/transport/transport.js';
import { announceSkip, PassThroughTransport, simulatorJarBuilt, vector } from '../support.js';
import { testDatabases } from './databases.js';

const maybe = simulatorJarBuilt() ? describe : describe.skip;
if (!simulatorJarBuilt()) announceSkip('remote APDU', 'simulator jar missing (ant simulator)');

class Counting extends PassThroughTransport {
  readonly seen: string[] = [];
  override async transmit(command: Uint8Array, options?: TransmitOptions): Promise<Uint8Array> {
    this.seen.push(toHex(command));
    return super.transmit(command, options);
  }
}

const TOKEN = 'T'.repeat(43);

maybe('remote APDU between a TSM and the device agent', () => {
  let card: SimTransport;
  beforeAll(async () => {
    card = await SimTransport.open({ cardSeed: '5A'.repeat(16) });
  });
  afterAll(async () => {
    await card.close();
  });

  test('a flow written against a Transport runs on the SIM through the agent; a lost answer does not run a command twice', async () => {
    const counting = new Counting(card);
    const sessions = new RemoteSessions({
      resolve: (id, token) =>
        Promise.resolve(
          id === 's1' && token === TOKEN
            ? async (remote) => {
                remote.step('reading');
                const select = await remote.transmit(parseHex('00A4040C0AD392F000260100000001'));
                const batch = await remote.exchange(
                  [parseHex('00A4020C020006'), parseHex('00B0000020'), parseHex('00B00000FF'), parseHex('00A4020C020006')],
                  true,
                );
                return { outcome: 'read', detail: { select: toHex(select), answers: String(batch.length), token: toHex(batch[1]!.subarray(0, 15)) } };
              }
            : null,
        ),
    });
    const service = await startService([sessions.route('/remote')]);
    let posts = 0;
    // The answer to the second report is lost on its way back: the agent sends the same report again.
    const lossy: typeof fetch = async (input, init) => {
      posts++;
      const response = await fetch(input, init);
      if (posts === 2) {
        await response.text();
        throw new TypeError('fetch failed', { cause: new Error('socket hang up') });
      }
      return response;
    };
    const retries: number[] = [];
    try {
      const result = await runRemoteSession(`${service.url}/remote/s1`, TOKEN, counting, { fetchImpl: lossy, onRetry: (n) => retries.push(n) });
      expect(result.outcome).toBe('read');
      expect(result.detail.select).toBe('9000');
      // stopOnError: the third command (Le 0xFF beyond the file) is the last one run.
      expect(Number(result.detail.answers)).toBeLessThanOrEqual(4);
      expect(Buffer.from(result.detail.token!, 'hex').toString('ascii')).toBe('JPKIAPICCTOKEN2');
      expect(retries).toEqual([1]);
      // Every command reached the card exactly once, although one report crossed twice.
      expect(counting.seen[0]).toBe('00A4040C0AD392F000260100000001');
      expect(counting.seen.filter((c) => c === '00A4040C0AD392F000260100000001')).toHaveLength(1);
      expect(counting.seen.length).toBe(1 + Number(result.detail.answers));
    } finally {
      sessions.close();
      await service.close();
    }
  });

  test('a wrong token or an unknown session is refused; a malformed report is a 400', async () => {
    const sessions = new RemoteSessions({ resolve: () => Promise.resolve(null) });
    const service = await startService([sessions.route('/remote')]);
    try {
      await expect(runRemoteSession(`${service.url}/remote/nope`, TOKEN, card)).rejects.toMatchObject({ status: 404, code: 'no-such-session' });
      await expect(
        callJson('t', `${service.url}/remote/x`, { body: { acknowledges: 'x' }, headers: { authorization: `Bearer ${TOKEN}` } }),
      ).rejects.toMatchObject({ status: 400 });
      await expect(callJson('t', `${service.url}/remote/x`, { body: { acknowledges: null } })).rejects.toMatchObject({ status: 401 });
    } finally {
      await service.close();
    }
  });
});

describe.each(testDatabases('MNO-TSM'))('the MNO-TSM on $name', (database) => {
  const run = simulatorJarBuilt() ? test : test.skip;
  let service: RunningService | undefined;
  let mno: MnoTsm | undefined;
  let dispose: (() => Promise<void>) | undefined;
  const SSD = parseHex('A00000015153504100000001');

  async function start(): Promise<string> {
    const created = await database.create();
    dispose = created.dispose;
    let url = '';
    mno = new MnoTsm({
      db: created.opened.db,
      publicUrl: () => url,
      serviceProviders: { 'sp-key-0123456789': 'test-sp' },
      operator: TEST_OPERATOR_A,
      plan: {
        cardAuthorityRoot: readFileSync(TEST_CARD_AUTHORITY_ROOT),
        profile: testOperators()[0]!.profile,
        cap: CapFile.load(vector('cap', 'jpki-applet.cap')),
        instanceAid: parseHex('D392F000260100000001'),
      },
      ssdAid: SSD,
    });
    service = await startService(mno.routes());
    url = service.url;
    return url;
  }
  afterEach(async () => {
    mno?.close();
    await service?.close();
    await dispose?.();
  });

  run('installs the applet into the SP domain on the named SIM only, then hands it over', async () => {
    const url = await start();
    const sim = await SimTransport.open({ cardSeed: '6B'.repeat(16) });
    try {
      const name = (await identifyCard(sim, readFileSync(TEST_CARD_AUTHORITY_ROOT))).name;
      const auth = { authorization: 'Bearer sp-key-0123456789' };
      await expect(callJson('MNO-TSM', `${url}/installations`, { body: { requestRef: 'a', card: name } })).rejects.toMatchObject({ status: 401 });

      // Another SIM is named: the MNO-TSM refuses before it changes anything.
      const other = (await callJson('MNO-TSM', `${url}/installations`, { body: { requestRef: 'other', card: 'AB'.repeat(32) }, headers: auth })) as {
        id: string;
        remote: { url: string; token: string };
      };
      await expect(runRemoteSession(other.remote.url, other.remote.token, sim)).rejects.toThrow(/not the SIM the SP-TSM named/);

      // The same request twice at once (an SP-TSM retrying): one installation.
      const [twin, request] = (await Promise.all([
        callJson('MNO-TSM', `${url}/installations`, { body: { requestRef: 'app-1', card: name }, headers: auth }),
        callJson('MNO-TSM', `${url}/installations`, { body: { requestRef: 'app-1', card: name }, headers: auth }),
      ])) as { id: string; remote: { url: string; token: string } }[];
      expect(twin!.id).toBe(request!.id);
      const result = await runRemoteSession(request!.remote.url, request!.remote.token, sim);
      expect(result.outcome).toBe('handed-over');
      const view = (await callJson('MNO-TSM', `${url}/installations/${request!.id}`, { headers: auth })) as {
        state: string;
        handover?: { ssdAid: string; keys: { enc: string } };
      };
      expect(view.state).toBe('handed-over');
      expect(view.handover?.ssdAid).toBe(toHex(SSD));

      const isd = await GpSession.open(sim, { keys: TEST_GP_KEYS, securityLevel: 0x01, diversification: 'kdf3' });
      const registry = await listRegistry(isd);
      await isd.end();
      const applet = registry.applications.find((a) => a.aid === 'D392F000260100000001');
      expect(applet?.associatedSecurityDomain).toBe(toHex(SSD));
      expect(registry.applications.some((a) => a.kind === 'security-domain' && a.aid === toHex(SSD))).toBe(true);

      // Asked again (a retry of the SP-TSM): same installation, nothing redone on the card.
      const again = (await callJson('MNO-TSM', `${url}/installations`, { body: { requestRef: 'app-1', card: name }, headers: auth })) as {
        id: string;
        remote: { url: string; token: string };
      };
      expect(again.id).toBe(request!.id);
      const counting = new Counting(sim);
      expect((await runRemoteSession(again.remote.url, again.remote.token, counting)).outcome).toBe('handed-over');
      expect(counting.seen).toHaveLength(0);
      expect(cardName(new Uint8Array(0))).toMatch(/^[0-9A-F]{64}$/);
    } finally {
      await sim.close();
    }
  });

  run('loads the JPKI package when the SIM does not have it', async () => {
    const url = await start();
    const sim = await SimTransport.open({ cardSeed: '7C'.repeat(16) });
    try {
      const isd = await GpSession.open(sim, { keys: TEST_GP_KEYS, securityLevel: 0x01, diversification: 'kdf3' });
      await deleteAid(isd, parseHex('D392F0002601000000'), true);
      await isd.end();
      const name = (await identifyCard(sim, readFileSync(TEST_CARD_AUTHORITY_ROOT))).name;
      const auth = { authorization: 'Bearer sp-key-0123456789' };
      const request = (await callJson('MNO-TSM', `${url}/installations`, { body: { requestRef: 'app-2', card: name }, headers: auth })) as {
        id: string;
        remote: { url: string; token: string };
      };
      const counting = new Counting(sim);
      expect((await runRemoteSession(request.remote.url, request.remote.token, counting)).outcome).toBe('handed-over');
      expect(counting.seen.filter((c) => c.startsWith('80E8') || c.startsWith('84E8')).length).toBeGreaterThan(10);
      const check = await GpSession.open(sim, { keys: TEST_GP_KEYS, securityLevel: 0x01, diversification: 'kdf3' });
      const registry = await listRegistry(check);
      await check.end();
      expect(registry.applications.find((a) => a.aid === 'D392F000260100000001')?.associatedSecurityDomain).toBe(toHex(SSD));
    } finally {
      await sim.close();
    }
  });
});

export type { Transport };
