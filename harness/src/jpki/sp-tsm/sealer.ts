import { constants, createCipheriv, publicEncrypt, timingSafeEqual, type KeyObject } from 'node:crypto';
import { aesCmac } from '../../gp/crypto.js';
import type { AdminHeader } from '../../apdu/jpki-commands.js';

/** What a sealed envelope carries; the applet's PUT CONTENT P1 (the commands are built in apdu/jpki-commands.ts). */
export enum ContentTarget {
  PrivateKey = 0x17,
  Pin = 0x18,
  Certificate = 0x0a,
  CaCertificate = 0x0b,
}

export interface ContentKeys {
  /** AES-128 content-encryption key. */
  readonly encryption: Uint8Array;
  /** AES-128 content-MAC key. */
  readonly mac: Uint8Array;
}

const BLOCK = 16;

function cbc(key: Uint8Array, data: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-128-cbc', key, Buffer.alloc(BLOCK));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

function checkKey(name: string, key: Uint8Array): void {
  if (key.length !== 16) throw new RangeError(`${name} must be 16 bytes (AES-128), got ${key.length}`);
}

/**
 * The SP-TSM side of the applet's sealed content (docs/personalisation.md):
 * counter(4) ‖ AES-CBC(K-ENC, 0, counter ‖ 0×12 ‖ content ‖ 80 00..) ‖ CBC-MAC(K-MAC, header ‖ C).
 */
export function sealContent(keys: ContentKeys, target: ContentTarget, content: Uint8Array, counter: number): Uint8Array {
  checkKey('K-ENC', keys.encryption);
  checkKey('K-MAC', keys.mac);
  if (!Number.isInteger(counter) || counter < 0 || counter > 0xffffffff) throw new RangeError(`counter out of range: ${counter}`);
  const counterBytes = Buffer.alloc(4);
  counterBytes.writeUInt32BE(counter);
  const paddedLength = Math.ceil((BLOCK + content.length + 1) / BLOCK) * BLOCK;
  const plain = Buffer.alloc(paddedLength);
  counterBytes.copy(plain, 0);
  plain.set(content, BLOCK);
  plain[BLOCK + content.length] = 0x80;
  const ciphertext = cbc(keys.encryption, plain);
  plain.fill(0);

  const header = Buffer.alloc(BLOCK);
  header[0] = 0x4a; // 'J'
  header[1] = 0x50; // 'P'
  header[2] = target;
  counterBytes.copy(header, 3);
  header.writeUInt16BE(ciphertext.length, 7);
  const chain = cbc(keys.mac, Buffer.concat([header, ciphertext]));
  const tag = chain.subarray(chain.length - BLOCK);
  return new Uint8Array(Buffer.concat([counterBytes, ciphertext, tag]));
}

/** Checks a tag the way the card does (used by tests of the format). */
export function tagMatches(keys: ContentKeys, target: ContentTarget, envelope: Uint8Array): boolean {
  const counter = envelope.subarray(0, 4);
  const ciphertext = envelope.subarray(4, envelope.length - BLOCK);
  const header = Buffer.alloc(BLOCK);
  header[0] = 0x4a;
  header[1] = 0x50;
  header[2] = target;
  header.set(counter, 3);
  header.writeUInt16BE(ciphertext.length, 7);
  const chain = cbc(keys.mac, Buffer.concat([header, ciphertext]));
  return timingSafeEqual(chain.subarray(chain.length - BLOCK), envelope.subarray(envelope.length - BLOCK));
}

/**
 * Per-card content keys from the SP-TSM's master keys and the card's identity (for example the
 * key diversification data the security domain returns in INITIALIZE UPDATE, or the ICCID):
 * NIST SP 800-108 counter-mode KDF with AES-CMAC, one block per key,
 * K = CMAC(master, 00×11 ‖ label ‖ 00 ‖ 0080 ‖ 01 ‖ identity), label 01 for K-ENC and 02 for K-MAC.
 */
export function diversifyContentKeys(master: ContentKeys, cardIdentity: Uint8Array): ContentKeys {
  checkKey('master K-ENC', master.encryption);
  checkKey('master K-MAC', master.mac);
  if (cardIdentity.length === 0) throw new RangeError('the card identity is empty');
  const derive = (key: Uint8Array, label: number): Uint8Array =>
    aesCmac(key, Uint8Array.from([...new Uint8Array(11), label, 0x00, 0x00, 0x80, 0x01, ...cardIdentity]));
  return { encryption: derive(master.encryption, 0x01), mac: derive(master.mac, 0x02) };
}

/** ISO 9797-1 method 2: data ‖ 80 00… to a whole number of blocks (always at least one byte added). */
function pad(data: Uint8Array): Buffer {
  const padded = Buffer.alloc(Math.floor(data.length / BLOCK + 1) * BLOCK);
  padded.set(data, 0);
  padded[data.length] = 0x80;
  return padded;
}

function cbcMac(key: Uint8Array, data: Uint8Array): Buffer {
  const chain = cbc(key, data);
  return chain.subarray(chain.length - BLOCK);
}

function counterBytes(counter: number): Buffer {
  if (!Number.isInteger(counter) || counter < 1 || counter > 0xffffffff) throw new RangeError(`counter out of range: ${counter}`);
  const out = Buffer.alloc(4);
  out.writeUInt32BE(counter);
  return out;
}

/**
 * The data of an authorised administration command (GENERATE KEY PAIR, SET PIN POLICY,
 * SET LIFE CYCLE): counter(4) ‖ payload ‖ T, T = CBC-MAC(K-MAC, 'J' 'C' INS P1 P2 counter len(2) 00×5 ‖
 * payload ‖ 80 00…). Only the holder of K-MAC can make one; each counter value is accepted once.
 */
export function authoriseCommand(keys: ContentKeys, header: AdminHeader, payload: Uint8Array, counter: number): Uint8Array {
  checkKey('K-MAC', keys.mac);
  if (payload.length > 15) throw new RangeError('an authorised command carries at most 15 bytes');
  const c = counterBytes(counter);
  const first = Buffer.alloc(BLOCK);
  first[0] = 0x4a; // 'J'
  first[1] = 0x43; // 'C'
  first[2] = header.ins;
  first[3] = header.p1;
  first[4] = header.p2;
  c.copy(first, 5);
  first.writeUInt16BE(payload.length, 9);
  const tag = cbcMac(keys.mac, Buffer.concat([first, pad(payload)]));
  return new Uint8Array(Buffer.concat([c, payload, tag]));
}

/** Whether `tag` is the applet's answer tag for `data` answering INS under counter `counter`. */
export function answerTagMatches(keys: ContentKeys, ins: number, counter: number, data: Uint8Array, tag: Uint8Array): boolean {
  const first = Buffer.alloc(BLOCK);
  first[0] = 0x4a; // 'J'
  first[1] = 0x52; // 'R'
  first[2] = ins;
  counterBytes(counter).copy(first, 3);
  first.writeUInt16BE(data.length, 7);
  const expected = cbcMac(keys.mac, Buffer.concat([first, pad(data)]));
  return tag.length === BLOCK && timingSafeEqual(expected, tag);
}

/**
 * SET CONTENT KEYS data: RSA-PKCS1-v1_5(K-ENC ‖ K-MAC) under the applet's attested key-transport
 * key ‖ T, T = CBC-MAC(new K-MAC, 'J' 'K' 00×5 len(2) 00×7 ‖ block). The tag proves to the applet
 * that the sender knows the keys it sends.
 */
export function keyTransportPayload(keys: ContentKeys, transportKey: KeyObject): Uint8Array {
  checkKey('K-ENC', keys.encryption);
  checkKey('K-MAC', keys.mac);
  const block = publicEncrypt({ key: transportKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([keys.encryption, keys.mac]));
  const first = Buffer.alloc(BLOCK);
  first[0] = 0x4a; // 'J'
  first[1] = 0x4b; // 'K'
  first.writeUInt16BE(block.length, 7);
  return new Uint8Array(Buffer.concat([block, cbcMac(keys.mac, Buffer.concat([first, block]))]));
}

/** The key check value the applet reports (information tag 8A): CBC-MAC(K-MAC, 'J' 'V' 00×14), 8 bytes. */
export function contentKeyCheckValue(keys: ContentKeys): Uint8Array {
  const block = Buffer.alloc(BLOCK);
  block[0] = 0x4a;
  block[1] = 0x56;
  return new Uint8Array(cbcMac(keys.mac, block).subarray(0, 8));
}
