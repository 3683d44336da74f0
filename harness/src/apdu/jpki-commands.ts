import { encodeCommand } from './command.js';

/** The command APDUs of the JPKI user interface, shared by scenarios and the JPKI client. */

/** `00 A4 02 0C 02 <FID>`: SELECT an elementary file by identifier. */
export function selectEfCommand(fid: Uint8Array): Uint8Array {
  return encodeCommand({ cla: 0x00, ins: 0xa4, p1: 0x02, p2: 0x0c, data: fid });
}

/** `00 A4 04 0C <AID>`: SELECT by DF name. */
export function selectAidCommand(aid: Uint8Array): Uint8Array {
  return encodeCommand({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x0c, data: aid });
}

/** `00 20 00 80 <PIN as ASCII digits>`; an empty PIN gives the case-1 VERIFY that asks for the tries left. */
export function verifyPinCommand(pin: string): Uint8Array {
  return encodeCommand({ cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x80, ...(pin.length > 0 ? { data: new Uint8Array(Buffer.from(pin, 'ascii')) } : {}) });
}

/** `80 2A 00 80 <DigestInfo> 00`: COMPUTE DIGITAL SIGNATURE, PKCS#1 v1.5 padding on the card. */
export function signCommand(info: Uint8Array): Uint8Array {
  return encodeCommand({ cla: 0x80, ins: 0x2a, p1: 0x00, p2: 0x80, data: info, ne: 256 });
}
