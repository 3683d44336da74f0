/**
 * A test-only GlobalPlatform card: the card side of SCP02/SCP03 (written from the specifications, with
 * its own wrap/unwrap logic; only the KAT-verified key derivations are shared with the host) and a small
 * card-content registry. It lets unit tests drive the session state machine and the card-management
 * functions byte for byte. End-to-end tests run against the Java simulator instead.
 */
import { createHash } from 'node:crypto';
import { concatBytes, toHex } from '../../src/apdu/hex.js';
import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesCmac,
  aesEcbEncrypt,
  bytesEqual,
  desEcbEncrypt,
  kcvAes,
  kcvDes3,
  pad80,
  retailMac,
  tdesCbcDecrypt,
  tdesEcbDecrypt,
  unpad80,
} from '../../src/gp/crypto.js';
import type { KeySet } from '../../src/gp/keys.js';
import { scp02CardCryptogram, scp02HostCryptogram, scp02SessionKeys, type Scp02SessionKeys } from '../../src/gp/scp02.js';
import { scp03CardCryptogram, scp03HostCryptogram, scp03PseudoRandomChallenge, scp03SessionKeys, type Scp03SessionKeys } from '../../src/gp/scp03.js';
import type { Transport } from '../../src/transport/transport.js';

export interface EmulatedCardOptions {
  readonly scp: 2 | 3;
  readonly i: number;
  readonly keys: KeySet;
  readonly isdAid?: Uint8Array;
  /** 9F65 in the FCI. */
  readonly maxCommandData?: number;
  /** Answer GET STATUS in the TLV format with 6A86 (an old card). */
  readonly legacyStatusOnly?: boolean;
  /** Entries per GET STATUS page (paging with 6310). */
  readonly pageSize?: number;
  /** Load files present from the start (e.g. the SSD package in ROM). */
  readonly preloaded?: readonly { aid: Uint8Array; modules: Uint8Array[] }[];
}

interface App {
  aid: Uint8Array;
  loadFile: string;
  module: string;
  privileges: Uint8Array;
  lifeCycle: number;
  params: Uint8Array;
  sd: string;
  storeData: Uint8Array[];
}
interface LoadFile {
  aid: Uint8Array;
  modules: Uint8Array[];
}

interface Session {
  level: number;
  authenticated: boolean;
  scp02?: { keys: Scp02SessionKeys; icv: Uint8Array; ricv: Uint8Array; hostCryptogram: Uint8Array };
  scp03?: { keys: Scp03SessionKeys; chaining: Uint8Array; counter: number; hostCryptogram: Uint8Array; s: number };
}

const sw = (v: number): Uint8Array => Uint8Array.of(v >> 8, v & 0xff);

export class EmulatedCard implements Transport {
  readonly description = 'emulated GlobalPlatform card (tests)';
  readonly atr = Uint8Array.of(0x3b, 0x80, 0x80, 0x01, 0x01);
  readonly isdAid: Uint8Array;
  keySets = new Map<number, KeySet>();
  readonly apps: App[] = [];
  readonly loadFiles: LoadFile[] = [];
  /** Wire log: every command and response as hex. */
  readonly wire: { command: string; response: string }[] = [];
  private session: Session | undefined;
  /** 'isd', or the hex AID of the selected application. */
  private selected = 'isd';
  private sequence = 0x0010;
  private pendingLoad: { aid: Uint8Array; hash: Uint8Array; sd: string; next: number; data: Uint8Array[] } | undefined;
  private personalizing: App | undefined;
  exclusiveDepth = 0;
  closed = false;

  constructor(readonly options: EmulatedCardOptions) {
    this.isdAid = options.isdAid ?? Uint8Array.from(Buffer.from('A000000151000000', 'hex'));
    this.keySets.set(options.keys.version, options.keys);
    for (const f of options.preloaded ?? []) this.loadFiles.push({ aid: f.aid, modules: f.modules });
  }

  async beginExclusive(): Promise<void> {
    this.exclusiveDepth++;
  }
  async endExclusive(): Promise<void> {
    this.exclusiveDepth--;
  }

  async transmit(command: Uint8Array): Promise<Uint8Array> {
    const response = this.process(command);
    this.wire.push({ command: toHex(command), response: toHex(response) });
    return response;
  }

  async reset(): Promise<Uint8Array> {
    this.session = undefined;
    this.selected = 'isd';
    return this.atr;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private process(apdu: Uint8Array): Uint8Array {
    const cla = apdu[0]!;
    const ins = apdu[1]!;
    const p1 = apdu[2]!;
    const p2 = apdu[3]!;
    let data = apdu.length > 5 ? apdu.slice(5, 5 + apdu[4]!) : new Uint8Array(0);
    if (apdu.length > 5 && apdu[4] === 0 && apdu.length > 7) data = apdu.slice(7, 7 + ((apdu[5]! << 8) | apdu[6]!));
    if (ins === 0xa4 && p1 === 0x04) return this.select(data);
    if (this.selected !== 'isd') {
      return cla === 0x80 && ins === 0x01 ? concatBytes(Uint8Array.from(data).reverse(), sw(0x9000)) : sw(0x6d00);
    }
    if (ins === 0x50) return this.initializeUpdate(p1, data);
    if (ins === 0x82) return this.externalAuthenticate(apdu, p1, data);
    if (ins === 0xc0) return sw(0x6f00);
    // everything else needs an authenticated session
    const s = this.session;
    if (!s?.authenticated) return sw(0x6982);
    let plain: Uint8Array;
    try {
      plain = this.unwrapCommand(s, apdu, data);
    } catch {
      this.session = undefined;
      return sw(0x6982);
    }
    const out = this.dispatch(ins, p1, p2, plain);
    return this.wrapResponse(s, out);
  }

  private select(aid: Uint8Array): Uint8Array {
    this.session = undefined;
    if (bytesEqual(aid, this.isdAid)) {
      this.selected = 'isd';
      const max = this.options.maxCommandData;
      const a5 = max !== undefined ? concatBytes(Uint8Array.of(0xa5, 4, 0x9f, 0x65, 1), Uint8Array.of(max)) : new Uint8Array(0);
      const inner = concatBytes(Uint8Array.of(0x84, aid.length), aid, a5);
      return concatBytes(Uint8Array.of(0x6f, inner.length), inner, sw(0x9000));
    }
    const app = this.apps.find((a) => bytesEqual(a.aid, aid));
    if (app === undefined) return sw(0x6a82);
    if (app.lifeCycle & 0x80) return sw(0x6999);
    if ((app.lifeCycle & 0x07) !== 0x07) return sw(0x6a82);
    this.selected = toHex(aid);
    return sw(0x9000);
  }

  private initializeUpdate(kvn: number, hostChallenge: Uint8Array): Uint8Array {
    this.session = undefined;
    const keys = kvn === 0 ? [...this.keySets.values()][0]! : this.keySets.get(kvn);
    if (keys === undefined) return sw(0x6a88);
    const kdd = Uint8Array.from([0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99]);
    this.sequence++;
    if (this.options.scp === 2) {
      const seq = Uint8Array.of(this.sequence >> 8, this.sequence & 0xff);
      const challenge = Uint8Array.from(createHash('sha256').update(seq).digest().subarray(0, 6));
      const k = scp02SessionKeys(keys, seq);
      this.session = {
        level: 0,
        authenticated: false,
        scp02: {
          keys: k,
          icv: new Uint8Array(8),
          ricv: new Uint8Array(8),
          hostCryptogram: scp02HostCryptogram(k.enc, hostChallenge, seq, challenge),
        },
      };
      return concatBytes(
        kdd,
        Uint8Array.of(keys.version, 0x02),
        seq,
        challenge,
        scp02CardCryptogram(k.enc, hostChallenge, seq, challenge),
        sw(0x9000),
      );
    }
    const s = this.options.i & 0x01 ? 16 : 8;
    const seq = Uint8Array.of(0, this.sequence >> 8, this.sequence & 0xff);
    const pseudo = (this.options.i & 0x10) !== 0;
    const challenge = pseudo
      ? scp03PseudoRandomChallenge(keys.enc, seq, this.isdAid, s)
      : Uint8Array.from(createHash('sha256').update(seq).digest().subarray(0, s));
    const k = scp03SessionKeys(keys, hostChallenge, challenge);
    this.session = {
      level: 0,
      authenticated: false,
      scp03: { keys: k, chaining: new Uint8Array(16), counter: 0, hostCryptogram: scp03HostCryptogram(k.mac, hostChallenge, challenge, s), s },
    };
    return concatBytes(
      kdd,
      Uint8Array.of(keys.version, 0x03, this.options.i),
      challenge,
      scp03CardCryptogram(k.mac, hostChallenge, challenge, s),
      pseudo ? seq : new Uint8Array(0),
      sw(0x9000),
    );
  }

  private externalAuthenticate(apdu: Uint8Array, level: number, data: Uint8Array): Uint8Array {
    const s = this.session;
    if (s === undefined || s.authenticated) return sw(0x6985);
    if (apdu[0] !== 0x84) return sw(0x6982);
    if (s.scp02) {
      const header = apdu.subarray(0, 5);
      const mac = retailMac(s.scp02.keys.mac, pad80(concatBytes(header, data.subarray(0, 8)), 8));
      if (!bytesEqual(data.subarray(0, 8), s.scp02.hostCryptogram) || !bytesEqual(mac, data.subarray(8, 16))) {
        this.session = undefined;
        return sw(0x6300);
      }
      s.scp02.icv = mac;
    } else {
      const c = s.scp03!;
      const chaining = aesCmac(c.keys.mac, concatBytes(c.chaining, apdu.subarray(0, 5), data.subarray(0, c.s)));
      if (!bytesEqual(data.subarray(0, c.s), c.hostCryptogram) || !bytesEqual(chaining.subarray(0, c.s), data.subarray(c.s, 2 * c.s))) {
        this.session = undefined;
        return sw(0x6300);
      }
      if ((level & 0x10 && !(this.options.i & 0x20)) || (level & 0x20 && !(this.options.i & 0x40))) {
        this.session = undefined;
        return sw(0x6a86);
      }
      c.chaining = chaining;
    }
    s.level = level;
    s.authenticated = true;
    return sw(0x9000);
  }

  private scp02RmacInput: Uint8Array | undefined;

  private unwrapCommand(s: Session, apdu: Uint8Array, data: Uint8Array): Uint8Array {
    const cla = apdu[0]!;
    if (!(s.level & 0x01)) {
      if (cla & 0x04) throw new Error('unexpected secure messaging');
      if (s.scp02) this.scp02RmacInput = concatBytes(Uint8Array.of(cla & 0xf8, apdu[1]!, apdu[2]!, apdu[3]!, data.length), data);
      return data;
    }
    if (!(cla & 0x04)) throw new Error('C-MAC missing');
    if (s.scp02) {
      const c = s.scp02;
      const mac = data.subarray(data.length - 8);
      let body: Uint8Array = data.subarray(0, data.length - 8);
      if (s.level & 0x02 && body.length > 0) body = unpad80(tdesCbcDecrypt(c.keys.enc, body));
      const icv = this.options.i & 0x10 ? desEcbEncrypt(c.keys.mac.subarray(0, 8), c.icv) : c.icv;
      const expected = retailMac(c.keys.mac, pad80(concatBytes(Uint8Array.of(cla, apdu[1]!, apdu[2]!, apdu[3]!, body.length + 8), body), 8), icv);
      if (!bytesEqual(expected, mac)) throw new Error('bad C-MAC');
      c.icv = expected;
      this.scp02RmacInput = concatBytes(Uint8Array.of(cla & 0xf8, apdu[1]!, apdu[2]!, apdu[3]!, body.length), body);
      return body;
    }
    const c = s.scp03!;
    const mac = data.subarray(data.length - c.s);
    const body = data.subarray(0, data.length - c.s);
    const lc = apdu[4] === 0 && apdu.length > 7 ? apdu.subarray(4, 7) : apdu.subarray(4, 5);
    const chaining = aesCmac(c.keys.mac, concatBytes(c.chaining, Uint8Array.of((cla & 0xf0) | 0x04, apdu[1]!, apdu[2]!, apdu[3]!), lc, body));
    if (!bytesEqual(chaining.subarray(0, c.s), mac)) throw new Error('bad C-MAC');
    c.chaining = chaining;
    if (!(s.level & 0x02)) return body;
    c.counter++;
    if (body.length === 0) return body;
    const iv = aesEcbEncrypt(c.keys.enc, counterBlock(c.counter, false));
    return unpad80(aesCbcDecrypt(c.keys.enc, body, iv));
  }

  private wrapResponse(s: Session, response: Uint8Array): Uint8Array {
    if (!(s.level & 0x10) || this.session !== s) return response;
    const status = response.subarray(response.length - 2);
    let data = response.subarray(0, response.length - 2);
    const ok = (status[0] === 0x90 && status[1] === 0x00) || status[0] === 0x62 || status[0] === 0x63;
    if (s.scp02) {
      if (!ok) return response;
      const c = s.scp02;
      const rmac = retailMac(
        c.keys.rmac,
        pad80(concatBytes(this.scp02RmacInput ?? new Uint8Array(0), Uint8Array.of(data.length), data, status), 8),
        c.ricv,
      );
      c.ricv = rmac;
      return concatBytes(data, rmac, status);
    }
    const c = s.scp03!;
    if (!ok) return status;
    if (s.level & 0x20 && data.length > 0) {
      data = aesCbcEncrypt(c.keys.enc, pad80(data, 16), aesEcbEncrypt(c.keys.enc, counterBlock(c.counter, true)));
    }
    const rmac = aesCmac(c.keys.rmac, concatBytes(c.chaining, data, status)).subarray(0, c.s);
    return concatBytes(data, rmac, status);
  }

  // ---- card content management ----------------------------------------------------------------

  private dispatch(ins: number, p1: number, p2: number, data: Uint8Array): Uint8Array {
    switch (ins) {
      case 0xe6:
        return this.install(p1, data);
      case 0xe8:
        return this.load(p1, p2, data);
      case 0xe4:
        return this.delete(p2, data);
      case 0xf2:
        return this.getStatus(p1, p2);
      case 0xf0:
        return this.setStatus(p1, p2, data);
      case 0xd8:
        return this.putKey(p1, data);
      case 0xe2:
        return this.storeData(data);
      default:
        return sw(0x6d00);
    }
  }

  private install(p1: number, data: Uint8Array): Uint8Array {
    const fields: Uint8Array[] = [];
    let o = 0;
    while (o < data.length) {
      const n = data[o]!;
      if (o + 1 + n > data.length) return sw(0x6a80);
      fields.push(data.slice(o + 1, o + 1 + n));
      o += 1 + n;
    }
    if (p1 === 0x02) {
      if (fields.length !== 5) return sw(0x6a80);
      if (this.loadFiles.some((f) => bytesEqual(f.aid, fields[0]!))) return sw(0x6985);
      this.pendingLoad = { aid: fields[0]!, hash: fields[2]!, sd: toHex(fields[1]!.length ? fields[1]! : this.isdAid), next: 0, data: [] };
      return concatBytes(Uint8Array.of(0x00), sw(0x9000));
    }
    if (p1 === 0x0c || p1 === 0x04) {
      if (fields.length !== 6) return sw(0x6a80);
      const [elf, module, appAid, privileges, params] = fields as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
      const file = this.loadFiles.find((f) => bytesEqual(f.aid, elf));
      if (file === undefined || !file.modules.some((m) => bytesEqual(m, module))) return sw(0x6a88);
      if (this.apps.some((a) => bytesEqual(a.aid, appAid))) return sw(0x6985);
      if (privileges.length !== 1 && privileges.length !== 3) return sw(0x6a80);
      if (params.length < 2 || params[0] !== 0xc9) return sw(0x6a80);
      this.apps.push({
        aid: appAid,
        loadFile: toHex(elf),
        module: toHex(module),
        privileges,
        lifeCycle: p1 === 0x0c ? 0x07 : 0x03,
        params,
        sd: toHex(this.isdAid),
        storeData: [],
      });
      return concatBytes(Uint8Array.of(0x00), sw(0x9000));
    }
    if (p1 === 0x20) {
      const app = this.apps.find((a) => bytesEqual(a.aid, fields[2] ?? new Uint8Array(0)));
      if (app === undefined) return sw(0x6a88);
      this.personalizing = app;
      return sw(0x9000);
    }
    if (p1 === 0x10) {
      const app = this.apps.find((a) => bytesEqual(a.aid, fields[2] ?? new Uint8Array(0)));
      if (app === undefined) return sw(0x6a88);
      app.sd = toHex(fields[0]!);
      return sw(0x9000);
    }
    return sw(0x6a86);
  }

  private load(p1: number, p2: number, data: Uint8Array): Uint8Array {
    const pending = this.pendingLoad;
    if (pending === undefined) return sw(0x6985);
    if (p2 !== pending.next) {
      this.pendingLoad = undefined;
      return sw(0x6a86);
    }
    pending.data.push(data);
    pending.next++;
    if (!(p1 & 0x80)) return sw(0x9000);
    this.pendingLoad = undefined;
    const all = concatBytes(...pending.data);
    if (all[0] !== 0xc4) return sw(0x6a80);
    let o = 1;
    let len = all[o++]!;
    if (len === 0x81) len = all[o++]!;
    else if (len === 0x82) {
      len = (all[o]! << 8) | all[o + 1]!;
      o += 2;
    }
    const block = all.subarray(o);
    if (block.length !== len) return sw(0x6a80);
    if (pending.hash.length > 0) {
      const algo = pending.hash.length === 20 ? 'sha1' : 'sha256';
      if (!bytesEqual(createHash(algo).update(block).digest(), pending.hash)) return sw(0x6a80);
    }
    // Header component: tag 01, size, DECAFFED, versions, flags, package info
    if (block[0] !== 0x01 || toHex(block.subarray(3, 7)) !== 'DECAFFED') return sw(0x6a80);
    const modules: Uint8Array[] = [];
    let c = 0;
    while (c < block.length) {
      const tag = block[c]!;
      const size = (block[c + 1]! << 8) | block[c + 2]!;
      if (tag === 0x03) {
        let a = c + 4;
        for (let i = 0; i < block[c + 3]!; i++) {
          modules.push(block.slice(a + 1, a + 1 + block[a]!));
          a += 1 + block[a]! + 2;
        }
      }
      c += 3 + size;
    }
    if (c !== block.length) return sw(0x6a80);
    this.loadFiles.push({ aid: pending.aid, modules });
    return concatBytes(Uint8Array.of(0x00), sw(0x9000));
  }

  private delete(p2: number, data: Uint8Array): Uint8Array {
    if (data[0] !== 0x4f) return sw(0x6a80);
    const aid = data.subarray(2, 2 + data[1]!);
    const app = this.apps.findIndex((a) => bytesEqual(a.aid, aid));
    if (app >= 0) {
      this.apps.splice(app, 1);
      return concatBytes(Uint8Array.of(0x00), sw(0x9000));
    }
    const file = this.loadFiles.findIndex((f) => bytesEqual(f.aid, aid));
    if (file < 0) return sw(0x6a88);
    const dependants = this.apps.filter((a) => a.loadFile === toHex(aid));
    if (dependants.length > 0 && !(p2 & 0x80)) return sw(0x6985);
    for (const d of dependants) this.apps.splice(this.apps.indexOf(d), 1);
    this.loadFiles.splice(file, 1);
    return concatBytes(Uint8Array.of(0x00), sw(0x9000));
  }

  private statusPages: Uint8Array[][] = [];

  private getStatus(p1: number, p2: number): Uint8Array {
    const tlvFormat = (p2 & 0x02) !== 0;
    if (tlvFormat && this.options.legacyStatusOnly) return sw(0x6a86);
    if (p2 & 0x01) {
      const page = this.statusPages.shift();
      if (page === undefined) return sw(0x6985);
      return concatBytes(...page, sw(this.statusPages.length > 0 ? 0x6310 : 0x9000));
    }
    const entries: Uint8Array[] = [];
    const tl = (tag: number, v: Uint8Array): Uint8Array =>
      concatBytes(tag > 0xff ? Uint8Array.of(tag >> 8, tag & 0xff) : Uint8Array.of(tag), Uint8Array.of(v.length), v);
    const add = (aid: Uint8Array, lc: number, priv: Uint8Array, modules: Uint8Array[] = []): void => {
      if (tlvFormat) {
        const inner = concatBytes(tl(0x4f, aid), tl(0x9f70, Uint8Array.of(lc)), tl(0xc5, priv), ...modules.map((m) => tl(0x84, m)));
        entries.push(tl(0xe3, inner));
      } else {
        const mods =
          p1 === 0x10
            ? concatBytes(Uint8Array.of(modules.length), ...modules.map((m) => concatBytes(Uint8Array.of(m.length), m)))
            : new Uint8Array(0);
        entries.push(concatBytes(Uint8Array.of(aid.length), aid, Uint8Array.of(lc, priv[0] ?? 0), mods));
      }
    };
    if (p1 === 0x80) add(this.isdAid, 0x0f, Uint8Array.of(0x9e, 0xfe, 0x80));
    else if (p1 === 0x40) for (const a of this.apps) add(a.aid, a.lifeCycle, a.privileges);
    else if (p1 === 0x20 || p1 === 0x10) for (const f of this.loadFiles) add(f.aid, 0x01, Uint8Array.of(0), p1 === 0x10 ? f.modules : []);
    else return sw(0x6a86);
    if (entries.length === 0) return sw(0x6a88);
    const size = this.options.pageSize ?? 1000;
    const pages: Uint8Array[][] = [];
    for (let i = 0; i < entries.length; i += size) pages.push(entries.slice(i, i + size));
    const first = pages.shift()!;
    this.statusPages = pages;
    return concatBytes(...first, sw(pages.length > 0 ? 0x6310 : 0x9000));
  }

  private setStatus(p1: number, p2: number, aid: Uint8Array): Uint8Array {
    if (p1 !== 0x40) return sw(0x6a86);
    const app = this.apps.find((a) => bytesEqual(a.aid, aid));
    if (app === undefined) return sw(0x6a88);
    if (p2 === 0x83) app.lifeCycle |= 0x80;
    else if (p2 === 0x07) app.lifeCycle &= 0x7f;
    else return sw(0x6a80);
    return sw(0x9000);
  }

  private putKey(p1: number, data: Uint8Array): Uint8Array {
    const version = data[0]!;
    const keys: Uint8Array[] = [];
    const kcvs: Uint8Array[] = [];
    let o = 1;
    const s = this.session!;
    while (o < data.length) {
      const type = data[o]!;
      const n = data[o + 1]!;
      let key: Uint8Array;
      if (type === 0x80 && s.scp02) key = tdesEcbDecrypt(s.scp02.keys.dek, data.subarray(o + 2, o + 2 + n));
      else if (type === 0x88 && s.scp03) {
        const current = [...this.keySets.values()][0]!;
        const length = data[o + 2]!;
        key = aesCbcDecrypt(current.dek, data.subarray(o + 3, o + 2 + n)).subarray(0, length);
      } else return sw(0x6a80);
      o += 2 + n;
      const kcv = data.subarray(o + 1, o + 1 + data[o]!);
      o += 1 + data[o]!;
      const actual = type === 0x80 ? kcvDes3(key) : kcvAes(key);
      if (!bytesEqual(actual, kcv)) return sw(0x9485);
      keys.push(Uint8Array.from(key));
      kcvs.push(kcv);
    }
    if (keys.length !== 3) return sw(0x6a80);
    if (p1 !== 0 && !this.keySets.has(p1)) return sw(0x6a88);
    if (p1 !== 0) this.keySets.delete(p1);
    this.keySets.set(version, { version, enc: keys[0]!, mac: keys[1]!, dek: keys[2]! });
    return concatBytes(Uint8Array.of(version), ...kcvs, sw(0x9000));
  }

  private storeData(data: Uint8Array): Uint8Array {
    if (this.personalizing === undefined) return sw(0x6985);
    this.personalizing.storeData.push(Uint8Array.from(data));
    return sw(0x9000);
  }
}

function counterBlock(counter: number, response: boolean): Uint8Array {
  const b = new Uint8Array(16);
  b[12] = (counter >>> 24) & 0xff;
  b[13] = (counter >>> 16) & 0xff;
  b[14] = (counter >>> 8) & 0xff;
  b[15] = counter & 0xff;
  if (response) b[0] = 0x80;
  return b;
}
