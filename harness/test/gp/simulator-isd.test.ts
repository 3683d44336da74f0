/**
 * End to end against the simulated UICC's issuer security domain (direct vpcd link): install the JPKI
 * applet from the reference CAP over the secure channel the simulator speaks, list, select it, delete,
 * reinstall; wrong keys fail before EXTERNAL AUTHENTICATE. Skipped, and says so, while the simulator
 * has no GlobalPlatform security domain.
 */
import { encodeCommand } from '../../src/apdu/command.js';
import { parseHex, toHex } from '../../src/apdu/hex.js';
import { ResponseApdu } from '../../src/apdu/response.js';
import { CapFile } from '../../src/gp/cap/cap.js';
import { initializeUpdate, ISD_AID_DEFAULT, selectByAid } from '../../src/gp/commands.js';
import { CardCryptogramError } from '../../src/gp/errors.js';
import { makeKeySet } from '../../src/gp/keys.js';
import { deleteAid, installApplet, listRegistry, loadCap } from '../../src/gp/manager.js';
import type { CardProfile } from '../../src/gp/card-profile.js';
import { loadProfile } from '../../src/gp/profile.js';
import { GpSession } from '../../src/gp/session.js';
import { SimTransport } from '../../src/transport/sim.js';
import { announceSkip, simulatorJarBuilt, vector } from '../support.js';

const cap = CapFile.load(vector('cap', 'jpki-applet.cap'));
const appletAid = cap.applets[0]!.aid;

async function probe(): Promise<{ scp: 2 | 3 } | string> {
  if (!simulatorJarBuilt()) return 'simulator jar not built (ant simulator)';
  const t = await SimTransport.open();
  try {
    const select = new ResponseApdu(await t.transmit(encodeCommand(selectByAid(ISD_AID_DEFAULT))));
    if (select.sw !== 0x9000) return `the simulator has no issuer security domain yet (SELECT ISD: ${select.swHex})`;
    // Outside a session a GP card refuses GET STATUS with a security status word; 6D00 means it has none.
    const status = new ResponseApdu(await t.transmit(parseHex('80F28000024F0000')));
    if (status.sw === 0x6d00) return "the simulator's ISD has no card content management yet (GET STATUS: 6D00)";
    const iu = new ResponseApdu(await t.transmit(encodeCommand(initializeUpdate(0, new Uint8Array(8)))));
    if (iu.sw !== 0x9000 || iu.data.length < 12) return `the simulator's ISD does not answer INITIALIZE UPDATE (${iu.swHex})`;
    const scp = iu.data[11];
    return scp === 2 || scp === 3 ? { scp } : `the simulator's ISD offers SCP${scp}`;
  } finally {
    await t.close();
  }
}

const found = await probe().catch((e: unknown) => `simulator did not start: ${(e as Error).message}`);
if (typeof found === 'string') announceSkip('GlobalPlatform end to end on the simulator', found);
const run = typeof found === 'string' ? describe.skip : describe;

run('GlobalPlatform end to end on the simulator (direct link)', () => {
  let transport: SimTransport;
  let profile: CardProfile;
  beforeAll(async () => {
    const scp = (found as { scp: 2 | 3 }).scp;
    profile = loadProfile(vector('profiles', scp === 3 ? 'simulator-scp03.yaml' : 'simulator-scp02.yaml'));
    transport = await SimTransport.open();
  });
  afterAll(async () => {
    await transport?.close();
  });
  const open = (level = profile.securityLevel) =>
    GpSession.open(transport, {
      keys: profile.keys,
      diversification: profile.diversification,
      scp: profile.scp,
      i: profile.i,
      securityLevel: level,
      sdAid: profile.isdAid,
    });

  test('wrong keys: CardCryptogramError', async () => {
    const wrong = makeKeySet(profile.keys.version, parseHex('000102030405060708090A0B0C0D0E0F'));
    await expect(
      GpSession.open(transport, { keys: wrong, diversification: profile.diversification, scp: profile.scp, i: profile.i }),
    ).rejects.toThrow(CardCryptogramError);
  });
  test('install, list, select, delete, reinstall', async () => {
    const session = await open();
    const before = await listRegistry(session);
    if (before.loadFiles.some((f) => f.aid === toHex(cap.packageAid))) await deleteAid(session, cap.packageAid, true);
    for (let round = 0; round < 2; round++) {
      await loadCap(session, cap);
      await installApplet(session, { loadFileAid: cap.packageAid, moduleAid: appletAid });
      const registry = await listRegistry(session);
      expect(registry.applications.map((a) => a.aid)).toContain(toHex(appletAid));
      expect(registry.loadFiles.map((f) => f.aid)).toContain(toHex(cap.packageAid));
      if (round === 0) await deleteAid(session, cap.packageAid, true);
    }
    await session.end();
    const select = new ResponseApdu(await transport.transmit(parseHex('00A4040C0A' + toHex(appletAid))));
    expect(select.swHex).toBe('9000');
  });
  test('every security level the ISD offers', async () => {
    const levels = profile.scp === 3 ? [0x01, 0x03, 0x13, 0x33] : [0x01, 0x03];
    for (const level of levels) {
      const session = await open(level);
      expect((await listRegistry(session)).isd.length).toBe(1);
      await session.end();
    }
  });
});
