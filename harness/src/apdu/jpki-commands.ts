import { encodeCommand } from './command.js';

/**
 * Every command APDU of the JPKI applet, as docs/applet-apdu.md defines it: the user interface
 * (what JPKI clients send) and the administration interface (sent inside the GlobalPlatform session
 * of the applet's security domain, which wraps them). The JPKI client, the SP-TSM, scenarios and
 * the compatibility runs all build their commands here, so the bytes are written once.
 */

/** Class of the user interface's interindustry commands. */
const CLA_USER = 0x00;
/** Proprietary class without secure messaging: the signature and the public reads. */
const CLA_PROPRIETARY = 0x80;
/** Proprietary class with GlobalPlatform secure messaging: what the administration commands need. */
const CLA_SECURE = 0x84;

// ------------------------------------------------------------------ user interface

/** "SELECT EF": `00 A4 02 0C 02 <FID>`, an elementary file by identifier. */
export function selectEfCommand(fid: Uint8Array): Uint8Array {
  return encodeCommand({ cla: CLA_USER, ins: 0xa4, p1: 0x02, p2: 0x0c, data: fid });
}

/** "SELECT application": `00 A4 04 0C <AID>`, by DF name, no FCI asked for. */
export function selectAidCommand(aid: Uint8Array): Uint8Array {
  return encodeCommand({ cla: CLA_USER, ins: 0xa4, p1: 0x04, p2: 0x0c, data: aid });
}

/** "READ BINARY": `00 B0 <offset> <Le>` on the selected EF; a 15-bit offset, `ne` 256 sends Le 00. */
export function readBinaryCommand(offset: number, ne = 256): Uint8Array {
  return encodeCommand({ cla: CLA_USER, ins: 0xb0, ...offsetParameters(offset), ne });
}

/** "VERIFY": `00 20 00 80 <PIN as ASCII digits>`; an empty PIN gives the case-1 VERIFY that asks for the tries left. */
export function verifyPinCommand(pin: string): Uint8Array {
  return encodeCommand({ cla: CLA_USER, ins: 0x20, p1: 0x00, p2: 0x80, ...(pin.length > 0 ? { data: ascii(pin) } : {}) });
}

/**
 * "CHANGE REFERENCE DATA": `00 24 00 80 08 <old><new>` checks the old PIN itself;
 * `00 24 01 80 04 <new>` (no old PIN) needs a VERIFY in the current selection.
 */
export function changePinCommand(newPin: string, oldPin?: string): Uint8Array {
  const data = oldPin === undefined ? ascii(newPin) : ascii(oldPin + newPin);
  return encodeCommand({ cla: CLA_USER, ins: 0x24, p1: oldPin === undefined ? 0x01 : 0x00, p2: 0x80, data });
}

/** "COMPUTE DIGITAL SIGNATURE": `80 2A 00 80 <DigestInfo> 00`, PKCS#1 v1.5 padding on the card. */
export function signCommand(info: Uint8Array): Uint8Array {
  return encodeCommand({ cla: CLA_PROPRIETARY, ins: 0x2a, p1: 0x00, p2: 0x80, data: info, ne: 256 });
}

/** "GET CHALLENGE": `00 84 00 00 <Le>`, `length` random bytes (256 sends Le 00). */
export function getChallengeCommand(length: number): Uint8Array {
  return encodeCommand({ cla: CLA_USER, ins: 0x84, p1: 0x00, p2: 0x00, ne: length });
}

// ---------------------------------------------------------- administration interface

/**
 * "Information record (GET DATA 80 CA 01 01)": `80 CA 01 01 00`. Readable without a session; sent
 * through one, the session wraps it (CLA 84) and the record comes back wrapped.
 */
export function getInformationCommand(): Uint8Array {
  return encodeCommand({ cla: CLA_PROPRIETARY, ins: 0xca, p1: 0x01, p2: 0x01, ne: 256 });
}

/**
 * "READ PUBLIC KEY": `80 B4 <offset> <Le>`, the DER SubjectPublicKeyInfo read like a file. Inside a
 * session keep `ne` at most 224 (0xE0) so that the wrapped answer fits.
 */
export function readPublicKeyCommand(offset: number, ne = 256): Uint8Array {
  return encodeCommand({ cla: CLA_PROPRIETARY, ins: 0xb4, ...offsetParameters(offset), ne });
}

/** "READ ATTESTATION": `80 B6 <offset> <Le>`, the key-transport key and the card authority's signature; no session. */
export function readAttestationCommand(offset: number, ne = 256): Uint8Array {
  return encodeCommand({ cla: CLA_PROPRIETARY, ins: 0xb6, ...offsetParameters(offset), ne });
}

/** The instruction and parameters of an authorised administration command: what its tag is bound to. */
export interface AdminHeader {
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
}

/** The authorised commands of the administration interface (docs/personalisation.md, "Authorised commands and answers"). */
export const AuthorisedCommand = {
  /** "GENERATE KEY PAIR": `84 46 00 00 14 <counter ‖ T>`. */
  generateKeyPair: { ins: 0x46, p1: 0x00, p2: 0x00 },
  /** "SET PIN POLICY": `84 DA 00 00 15 <counter ‖ 00 PIN required / 01 PIN-less ‖ T>`. */
  setPinPolicy: { ins: 0xda, p1: 0x00, p2: 0x00 },
  /** "SET LIFE CYCLE" to personalised: `84 F0 0F 00 14 <counter ‖ T>`. */
  setPersonalised: { ins: 0xf0, p1: 0x0f, p2: 0x00 },
  /** "SET LIFE CYCLE" to terminated (final): `84 F0 7F 00 14 <counter ‖ T>`. */
  terminate: { ins: 0xf0, p1: 0x7f, p2: 0x00 },
} as const satisfies Record<string, AdminHeader>;

/** An authorised command, `84 INS P1 P2 Lc <counter ‖ payload ‖ T>`, its data made for `header` by the SP-TSM's sealer. */
export function authorisedCommand(header: AdminHeader, data: Uint8Array): Uint8Array {
  return encodeCommand({ cla: CLA_SECURE, ins: header.ins, p1: header.p1, p2: header.p2, data });
}

/** "PUT CONTENT": `84 DB <target> <block>`, one sealed envelope in blocks of at most `blockSize` bytes. */
export function putContentCommands(target: number, envelope: Uint8Array, blockSize = 224): Uint8Array[] {
  return stagedCommands(0xdb, target, envelope, blockSize);
}

/** "SET CONTENT KEYS": `84 D4 00 <block>`, the key-transport block and its tag (272 bytes, 2 blocks at the default size). */
export function setContentKeysCommands(payload: Uint8Array, blockSize = 224): Uint8Array[] {
  return stagedCommands(0xd4, 0x00, payload, blockSize);
}

/**
 * A payload the applet stages in blocks: P2 is the block number, with bit 8 set on the last one. The
 * default 224 bytes still fit a short APDU after the session pads them to 240 and adds an 8-byte C-MAC.
 */
function stagedCommands(ins: number, p1: number, payload: Uint8Array, blockSize: number): Uint8Array[] {
  if (blockSize < 1 || blockSize > 255) throw new RangeError('blockSize must be 1..255');
  const blocks = Math.ceil(payload.length / blockSize);
  if (blocks > 128) throw new RangeError(`envelope needs ${blocks} blocks; at most 128`);
  const commands: Uint8Array[] = [];
  for (let b = 0; b < blocks; b++) {
    const data = payload.subarray(b * blockSize, Math.min(payload.length, (b + 1) * blockSize));
    commands.push(encodeCommand({ cla: CLA_SECURE, ins, p1, p2: b | (b === blocks - 1 ? 0x80 : 0), data }));
  }
  return commands;
}

/** P1-P2 of the file-like reads: a 15-bit offset (P1 bit 8 would ask for short-EF addressing). */
function offsetParameters(offset: number): { p1: number; p2: number } {
  if (!Number.isInteger(offset) || offset < 0 || offset > 0x7fff) throw new RangeError(`offset must be 0..0x7FFF, got ${offset}`);
  return { p1: offset >> 8, p2: offset & 0xff };
}

const ascii = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'ascii'));
