/**
 * Conformance steps that are not single APDUs but flows of the harness library: personalisation both
 * ways, the SP-TSM's PIN reset and termination, GlobalPlatform install, delete and load with the
 * profile's rules, and signature checks against the certificate on the card. Each throws a
 * ProcedureFailure saying what the card did differently; what it returns is shown beside a pass.
 */
import { createPublicKey, createVerify, X509Certificate } from 'node:crypto';
import path from 'node:path';
import { HarnessError } from '../errors.js';
import { encodeCommand } from '../apdu/command.js';
import { ResponseApdu, formatSw } from '../apdu/response.js';
import { toHex } from '../apdu/hex.js';
import { JpkiClient, JpkiFile, JPKI_AID } from '../jpki/client/client.js';
import { TEST_PIN } from '../jpki/test-ca/test-material.js';
import { CapFile } from '../gp/cap/cap.js';
import { deleteObject } from '../gp/commands.js';
import { listRegistry, loadCap } from '../gp/manager.js';
import { packageRoot } from '../package-root.js';
import { certificateOfSize } from './certificates.js';
import type { CardUnderTest } from './card-under-test.js';
import type { ProcedureCall } from './cases.js';

/** The card did something other than the requirement says; the message is the observed difference. */
export class ProcedureFailure extends HarnessError {
  readonly exitCode = 1;
}

type Procedure = (cut: CardUnderTest, args: Readonly<Record<string, string>>) => Promise<string | undefined>;

function expectSw(what: string, response: Uint8Array, ...accepted: number[]): number {
  const sw = new ResponseApdu(response).sw;
  if (!accepted.includes(sw)) throw new ProcedureFailure(`${what}: expected ${accepted.map(formatSw).join(' or ')}, got ${formatSw(sw)}`);
  return sw;
}

/** VERIFY, then a SHA-256 signature checked with the public key of certificate 000A as the card returns it. */
async function checkSignature(cut: CardUnderTest): Promise<string> {
  const client = new JpkiClient(cut.transport);
  await client.selectApplication();
  const certificate = await client.readFile(JpkiFile.AuthCertificate);
  await client.verifyPin(TEST_PIN);
  const message = Buffer.from('jpki-harness conformance');
  const signature = await client.sign('sha256', message);
  const key = createPublicKey(new X509Certificate(Buffer.from(certificate)).publicKey.export({ format: 'pem', type: 'spki' }));
  if (!createVerify('sha256').update(message).verify(key, Buffer.from(signature))) {
    throw new ProcedureFailure('the signature does not verify with the public key of certificate 000A');
  }
  return `signature verified with the ${certificate.length}-byte certificate`;
}

const PROCEDURES: Readonly<Record<string, Procedure>> = {
  /** Fresh instance, personalised with the imported TEST key; the signature checks against the certificate. */
  async 'personalise-import'(cut) {
    await cut.reinstall();
    await cut.personalise();
    cut.state = 'personalised';
    return checkSignature(cut);
  },
  /** Fresh instance, key generated on the card and certified by the TEST CA. */
  async 'personalise-generate'(cut) {
    await cut.reinstall();
    const result = await cut.personalise({ generate: true });
    cut.state = 'unknown';
    return `key ${result.publicKeyFingerprint.slice(0, 16)}… generated on the card; ${await checkSignature(cut)}`;
  },
  /** Fresh instance personalised with a certificate of `size` bytes, read back byte for byte. */
  async certificate(cut, args) {
    const size = Number(args['size']);
    const certificate = await certificateOfSize(size);
    await cut.reinstall();
    await cut.personalise({ certificate });
    cut.state = 'unknown';
    const client = new JpkiClient(cut.transport);
    await client.selectApplication();
    const read = await client.readFile(JpkiFile.AuthCertificate);
    if (Buffer.compare(Buffer.from(read), Buffer.from(certificate)) !== 0) {
      throw new ProcedureFailure(`certificate 000A read back as ${read.length} bytes, differing from the ${size} written`);
    }
    return checkSignature(cut);
  },
  /** The SP-TSM resets the PIN (to `pin`, default the TEST PIN) with a sealed envelope. */
  async 'pin-reset'(cut, args) {
    await cut.administer((admin) => admin.resetPin(args['pin'] ?? TEST_PIN));
    return undefined;
  },
  /** The SP-TSM terminates the applet. */
  async terminate(cut) {
    await cut.administer((admin) => admin.terminate());
    cut.state = 'unknown';
    return undefined;
  },
  /** DELETE and INSTALL [for install and make selectable] through the ISD with the profile's parameters. */
  async reinstall(cut) {
    await cut.reinstall();
    return undefined;
  },
  /** The ISD session with the profile's keys, and the JPKI instance in its registry (GET STATUS). */
  async 'isd-registry'(cut) {
    const session = await cut.isdSession();
    try {
      const registry = await listRegistry(session);
      const app = registry.applications.find((a) => a.aid === toHex(JPKI_AID));
      if (app === undefined) throw new ProcedureFailure(`GET STATUS lists no application ${toHex(JPKI_AID)}`);
      return `SCP0${cut.target.profile.scp} i=${cut.target.profile.i.toString(16).padStart(2, '0')}; ${toHex(JPKI_AID)} ${app.lifeCycleName}`;
    } finally {
      await session.end();
    }
  },
  /** DELETE of the instance twice: the second is 6A88 (referenced data not found); then installed again. */
  async 'delete-twice'(cut) {
    const session = await cut.isdSession();
    cut.state = 'unknown';
    try {
      expectSw('first DELETE', await session.transmit(encodeCommand(deleteObject(JPKI_AID))), 0x9000);
      expectSw('second DELETE', await session.transmit(encodeCommand(deleteObject(JPKI_AID))), 0x6a88);
      expectSw('INSTALL', await session.transmit(cut.installCommand()), 0x9000);
    } finally {
      await session.end();
    }
    cut.state = 'blank';
    return undefined;
  },
  /** INSTALL of an AID already on the card is refused, and the applet there stays. */
  async 'install-duplicate'(cut) {
    const session = await cut.isdSession();
    let sw: number;
    try {
      sw = new ResponseApdu(await session.transmit(cut.installCommand())).sw;
    } finally {
      await session.end();
    }
    if (sw === 0x9000) throw new ProcedureFailure('a second INSTALL of the same AID was accepted (9000)');
    await cut.selectApplet();
    return `refused with ${formatSw(sw)}`;
  },
  /** DELETE of the package with its instance, LOAD of the reference CAP with the profile's block size, INSTALL. */
  async 'load-install'(cut) {
    const profile = cut.target.profile;
    const cap = CapFile.load(path.join(packageRoot(), 'test-vectors', 'cap', 'jpki-applet.cap'));
    cut.state = 'unknown';
    const session = await cut.isdSession();
    let summary: string;
    try {
      expectSw('DELETE package and instance', await session.transmit(encodeCommand(deleteObject(cap.packageAid, true))), 0x9000);
      const loaded = await loadCap(session, cap, {
        hash: profile.load.hash,
        includeDescriptor: profile.load.includeDescriptor,
        includeDebug: profile.load.includeDebug,
        ...(profile.load.blockSize !== undefined ? { blockSize: profile.load.blockSize } : {}),
      });
      summary = `${loaded.bytes} bytes in ${loaded.blocks} LOAD blocks of ${loaded.blockSize}`;
      expectSw('INSTALL', await session.transmit(cut.installCommand()), 0x9000);
    } finally {
      await session.end();
    }
    cut.state = 'blank';
    await cut.selectApplet();
    return summary;
  },
};

export const PROCEDURE_NAMES = Object.keys(PROCEDURES);

export async function runProcedure(cut: CardUnderTest, call: ProcedureCall): Promise<string | undefined> {
  const procedure = PROCEDURES[call.name];
  if (procedure === undefined) throw new ProcedureFailure(`unknown procedure '${call.name}' (known: ${PROCEDURE_NAMES.join(', ')})`);
  return procedure(cut, call.args);
}
