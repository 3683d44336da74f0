/**
 * The MNO-TSM and SP-TSM roles end to end through pcscd + vpcd on the simulated UICC: install the JPKI
 * applet from the reference CAP over SCP03 and again over SCP02, list, personalise through the applet's
 * own secure channel, sign, delete, reinstall.
 */
import { existsSync } from 'node:fs';
import { createVerify, X509Certificate } from 'node:crypto';
import { toHex } from '../../src/apdu/hex.js';
import { CapFile } from '../../src/gp/cap/cap.js';
import { CardStatusError } from '../../src/errors.js';
import { deleteAid, installApplet, listRegistry, loadCap } from '../../src/gp/manager.js';
import type { CardProfile } from '../../src/gp/card-profile.js';
import { loadProfile } from '../../src/gp/profile.js';
import { GpSession } from '../../src/gp/session.js';
import { JpkiClient } from '../../src/jpki/client/client.js';
import { personaliseWithTestCredential } from '../../src/jpki/test-ca/test-material.js';
import { SimulatorProcess } from '../../src/sim/simulator-process.js';
import { PcscTransport } from '../../src/transport/pcsc.js';
import { announceSkip, portListening, simulatorJarBuilt, vector } from '../support.js';

const SLOT_PORT = 35964;
const READER = 'Virtual PCD 00 01';
const cap = CapFile.load(vector('cap', 'jpki-applet.cap'));
const appletAid = cap.applets[0]!.aid;

const pcscdUp = existsSync('/run/pcscd/pcscd.comm') && (await portListening(SLOT_PORT));
const reason = !simulatorJarBuilt()
  ? 'build/jpki-simulator.jar is missing (run ant simulator)'
  : !pcscdUp
    ? `pcscd with the vpcd driver is not running (nothing on port ${SLOT_PORT})`
    : undefined;
if (reason) announceSkip('GP install through pcscd', reason);
const maybe = reason ? describe.skip : describe;

maybe('JPKI applet installed from its CAP through pcscd, then personalised', () => {
  let simulator: SimulatorProcess;
  let transport: PcscTransport;

  beforeAll(async () => {
    simulator = SimulatorProcess.start({ connect: `127.0.0.1:${SLOT_PORT}` }).process;
    transport = await PcscTransport.open({ reader: READER, timeoutMs: 15000 });
  }, 30000);
  afterAll(async () => {
    await transport?.close();
    await simulator?.stop();
  });

  const open = (profile: CardProfile): Promise<GpSession> =>
    GpSession.open(transport, {
      keys: profile.keys,
      diversification: profile.diversification,
      scp: profile.scp,
      i: profile.i,
      securityLevel: profile.securityLevel,
      sdAid: profile.isdAid,
    });

  test.each(['simulator-scp03.yaml', 'simulator-scp02.yaml'])('%s: delete, load, install, list, personalise, sign', async (profileFile) => {
    const profile = loadProfile(vector('profiles', profileFile));
    let session = await open(profile);
    const before = await listRegistry(session);
    if (before.loadFiles.some((f) => f.aid === toHex(cap.packageAid))) await deleteAid(session, cap.packageAid, true);
    expect((await listRegistry(session)).applications.map((a) => a.aid)).not.toContain(toHex(appletAid));
    await loadCap(session, cap);
    await installApplet(session, { loadFileAid: cap.packageAid, moduleAid: appletAid });
    const registry = await listRegistry(session);
    expect(registry.applications.map((a) => a.aid)).toContain(toHex(appletAid));
    expect(registry.loadFiles.map((f) => f.aid)).toContain(toHex(cap.packageAid));
    await session.end();

    // The SP-TSM's turn: the applet's own secure channel, sealed content.
    const result = await personaliseWithTestCredential(transport);
    const client = new JpkiClient(transport);
    await client.selectApplication();
    const info = await client.information();
    expect(info.lifecycle).toBe('personalised');
    expect(info.publicKeyFingerprint).toBe(result.publicKeyFingerprint);
    await client.verifyPin('1234');
    const message = Buffer.from(`signed after install with ${profileFile}`);
    const signature = await client.sign('sha256', message);
    const certificate = new X509Certificate(Buffer.from(await client.readFile(0x000a)));
    expect(createVerify('sha256').update(message).verify(certificate.publicKey, Buffer.from(signature))).toBe(true);

    // Deleting the package takes the personalised instance with it.
    session = await open(profile);
    await deleteAid(session, cap.packageAid, true);
    expect((await listRegistry(session)).applications.map((a) => a.aid)).not.toContain(toHex(appletAid));
    await session.end();
    await expect(client.selectApplication()).rejects.toThrow(/6A82|6999/);
  });

  test('wrong keys surface as a typed error, and the card is unchanged', async () => {
    const profile = loadProfile(vector('profiles', 'simulator-scp03.yaml'));
    const wrong = { ...profile.keys, enc: new Uint8Array(16).fill(7), mac: new Uint8Array(16).fill(7), dek: new Uint8Array(16).fill(7) };
    await expect(GpSession.open(transport, { keys: wrong, scp: 3, sdAid: profile.isdAid })).rejects.toThrow(/cryptogram/i);
    const session = await open(profile);
    await expect(deleteAid(session, Uint8Array.from([0xa0, 0, 0, 0, 0x99, 0x99]), false)).rejects.toThrow(CardStatusError);
    await session.end();
  });

  test('a session on a shared connection holds the reader exclusively until it ends', async () => {
    await transport.close();
    const shared = await PcscTransport.open({ reader: READER, share: 'shared', timeoutMs: 15000 });
    try {
      const profile = loadProfile(vector('profiles', 'simulator-scp03.yaml'));
      const session = await GpSession.open(shared, {
        keys: profile.keys,
        diversification: profile.diversification,
        scp: 3,
        securityLevel: profile.securityLevel,
        sdAid: profile.isdAid,
      });
      await expect(PcscTransport.open({ reader: READER, share: 'shared', timeoutMs: 2000 })).rejects.toThrow(/[Ss]haring violation/);
      expect((await listRegistry(session)).isd.length).toBe(1);
      await session.end();
      const other = await PcscTransport.open({ reader: READER, share: 'shared', timeoutMs: 5000 });
      await other.close();
    } finally {
      await shared.close();
      transport = await PcscTransport.open({ reader: READER, timeoutMs: 15000 });
    }
  });
});
