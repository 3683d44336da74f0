/**
 * Card / vendor profiles read from their YAML files (format in docs/vendor-profile.md) into the CardProfile
 * of card-profile.ts. Errors name file:line:column; unknown keys are errors.
 */
import { readTextFile } from '../read-file.js';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { parseHex } from '../apdu/hex.js';
import { ScriptError, type SourcePosition } from '../errors.js';
import { checkSecurityLevel, parseSecurityLevel } from './channel.js';
import type { CardProfile } from './card-profile.js';
import { DIVERSIFICATIONS, makeKeySet, resolveKeyText, type Diversification, type KeySet } from './keys.js';

// 'compat': the compatibility suite's section (persona, status, capabilities), read by harness/src/compat/target.ts.
const TOP = [
  'name',
  'description',
  'reader',
  'atr',
  'isd',
  'scp',
  'i',
  'security-level',
  's16',
  'keys',
  'load',
  'install',
  'transport',
  'applet',
  'compat',
];
const KEYS = ['version', 'enc', 'mac', 'dek', 'master', 'diversification'];
const LOAD = ['block-size', 'hash', 'include-descriptor', 'include-debug'];
const INSTALL = ['privilege-encoding', 'empty-c9', 'volatile-memory-quota', 'non-volatile-memory-quota', 'toolkit-parameters', 'extra-parameters'];
const TRANSPORT = ['get-response', 'extended-length'];
const APPLET = ['package', 'module', 'instance', 'privileges', 'parameters'];

class Reader {
  constructor(
    readonly file: string,
    private readonly lines: LineCounter,
  ) {}
  pos(node: Node | null | undefined): SourcePosition {
    const { line, col } = this.lines.linePos(node?.range?.[0] ?? 0);
    return { file: this.file, line, column: col };
  }
  fail(node: Node | null | undefined, reason: string): never {
    throw new ScriptError(this.pos(node), reason);
  }
  map(node: unknown, what: string, allowed: readonly string[]): Map<string, Node> {
    if (!isMap(node)) this.fail(node as Node, `${what} must be a mapping`);
    const out = new Map<string, Node>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!allowed.includes(key)) this.fail(pair.key as Node, `unknown key '${key}' in ${what} (expected one of: ${allowed.join(', ')})`);
      out.set(key, pair.value as Node);
    }
    return out;
  }
  string(node: Node | undefined, what: string): string {
    if (!isScalar(node) || (typeof node.value !== 'string' && typeof node.value !== 'number')) this.fail(node, `${what} must be a string`);
    return String(node.value);
  }
  bool(node: Node | undefined, what: string): boolean {
    if (!isScalar(node) || (node.value !== 'true' && node.value !== 'false')) this.fail(node, `${what} must be true or false`);
    return node.value === 'true';
  }
  /** Integers as YAML numbers or hex strings ("0x70", "70h" not allowed: use 0x). */
  int(node: Node | undefined, what: string, min: number, max: number): number {
    if (!isScalar(node)) this.fail(node, `${what} must be a number`);
    const v = node.value;
    const t = String(v);
    const n = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : /^[0-9]+$/.test(t) ? parseInt(t, 10) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) this.fail(node, `${what} must be an integer ${min}..${max}, got ${String(v)}`);
    return n;
  }
  hex(node: Node | undefined, what: string): Uint8Array {
    const text = this.string(node, what);
    try {
      return parseHex(text);
    } catch (e) {
      this.fail(node, `${what}: ${(e as Error).message}`);
    }
  }
  aid(node: Node | undefined, what: string): Uint8Array {
    const a = this.hex(node, what);
    if (a.length < 5 || a.length > 16) this.fail(node, `${what} must be an AID of 5..16 bytes, got ${a.length}`);
    return a;
  }
  /** A key: hex in the file (test keys only), or env:NAME to take it from the environment (resolveKeyText). */
  key(node: Node | undefined, what: string, env: NodeJS.ProcessEnv): Uint8Array {
    const text = this.string(node, what);
    try {
      return resolveKeyText(what, text, env);
    } catch (e) {
      return this.fail(node, (e as Error).message);
    }
  }
}

export function parseProfile(text: string, file = 'profile', env: NodeJS.ProcessEnv = process.env): CardProfile {
  const lines = new LineCounter();
  // failsafe schema: every scalar stays a string, so all-digit hex keys and AIDs are never read as numbers
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, schema: 'failsafe' });
  const r: Reader = new Reader(file, lines);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const { line, col } = lines.linePos(e.pos[0]);
    throw new ScriptError({ file, line, column: col }, `YAML: ${e.message.split('\n')[0]}`);
  }
  const top = r.map(doc.contents, 'the profile', TOP);
  const need = (k: string): Node => top.get(k) ?? r.fail(doc.contents, `missing '${k}'`);
  const scpNode = need('scp');
  const scp = r.int(scpNode, 'scp', 2, 3) as 2 | 3;
  const i = top.has('i') ? r.int(top.get('i'), 'i', 0, 0xff) : scp === 2 ? 0x15 : 0x70;
  let securityLevel = 0x01;
  if (top.has('security-level')) {
    const n = top.get('security-level');
    try {
      securityLevel = parseSecurityLevel(r.string(n, 'security-level'));
      checkSecurityLevel(securityLevel, scp);
    } catch (e) {
      if (e instanceof ScriptError) throw e;
      r.fail(n, (e as Error).message);
    }
  }
  const keysNode = need('keys');
  const k = r.map(keysNode, 'keys', KEYS);
  const version = r.int(k.get('version') ?? r.fail(keysNode, "keys: missing 'version'"), 'keys.version', 0, 0x7f);
  let keys: KeySet;
  if (k.has('master')) {
    if (k.has('enc') || k.has('mac') || k.has('dek')) r.fail(k.get('master'), 'keys: give either master or enc/mac/dek, not both');
    const m = r.key(k.get('master'), 'keys.master', env);
    keys = makeKeySet(version, m);
  } else {
    const enc = r.key(k.get('enc') ?? r.fail(keysNode, "keys: missing 'enc' (or 'master')"), 'keys.enc', env);
    const mac = k.has('mac') ? r.key(k.get('mac'), 'keys.mac', env) : enc;
    const dek = k.has('dek') ? r.key(k.get('dek'), 'keys.dek', env) : enc;
    if (enc.length !== mac.length || enc.length !== dek.length) r.fail(keysNode, 'keys: enc, mac and dek must have the same length');
    keys = makeKeySet(version, enc, mac, dek);
  }
  if (scp === 2 && keys.enc.length !== 16) r.fail(keysNode, 'SCP02 needs 16-byte 3DES keys');
  let diversification: Diversification = 'none';
  if (k.has('diversification')) {
    const d = r.string(k.get('diversification'), 'keys.diversification').toLowerCase();
    if (!DIVERSIFICATIONS.includes(d as Diversification))
      r.fail(k.get('diversification'), `keys.diversification must be one of ${DIVERSIFICATIONS.join(', ')}`);
    diversification = d as Diversification;
  }
  const load = top.has('load') ? r.map(top.get('load'), 'load', LOAD) : new Map<string, Node>();
  const hash = load.has('hash') ? r.string(load.get('hash'), 'load.hash') : 'sha256';
  if (!['sha256', 'sha1', 'none'].includes(hash)) r.fail(load.get('hash'), 'load.hash must be sha256, sha1 or none');
  const install = top.has('install') ? r.map(top.get('install'), 'install', INSTALL) : new Map<string, Node>();
  const emptyC9Text = install.has('empty-c9') ? r.string(install.get('empty-c9'), 'install.empty-c9') : 'c900';
  if (emptyC9Text !== 'c900' && emptyC9Text !== 'omit') r.fail(install.get('empty-c9'), "install.empty-c9 must be 'c900' or 'omit'");
  const emptyC9: 'c900' | 'omit' = emptyC9Text === 'omit' ? 'omit' : 'c900';
  const transport = top.has('transport') ? r.map(top.get('transport'), 'transport', TRANSPORT) : new Map<string, Node>();
  const applet = top.has('applet') ? r.map(top.get('applet'), 'applet', APPLET) : new Map<string, Node>();
  let privileges: string[] = [];
  if (applet.has('privileges')) {
    const p = applet.get('privileges');
    if (!isSeq(p)) r.fail(p, 'applet.privileges must be a list of privilege names');
    privileges = (p.items as Node[]).map((n) => r.string(n, 'privilege'));
  }
  const opt = <T>(m: Map<string, Node>, key: string, f: (n: Node) => T): T | undefined => (m.has(key) ? f(m.get(key)!) : undefined);
  const v = <T>(x: T | undefined): T | undefined => x;
  const blockSize = v(opt(load, 'block-size', (n) => r.int(n, 'load.block-size', 16, 65535)));
  const volatileQ = v(opt(install, 'volatile-memory-quota', (n) => r.int(n, 'install.volatile-memory-quota', 0, 0xffff)));
  const nonVolatileQ = v(opt(install, 'non-volatile-memory-quota', (n) => r.int(n, 'install.non-volatile-memory-quota', 0, 0xffff)));
  const toolkit = v(opt(install, 'toolkit-parameters', (n) => r.hex(n, 'install.toolkit-parameters')));
  const extra = v(opt(install, 'extra-parameters', (n) => r.hex(n, 'install.extra-parameters')));
  const packageAid = v(opt(applet, 'package', (n) => r.aid(n, 'applet.package')));
  const moduleAid = v(opt(applet, 'module', (n) => r.aid(n, 'applet.module')));
  const instanceAid = v(opt(applet, 'instance', (n) => r.aid(n, 'applet.instance')));
  const parameters = v(opt(applet, 'parameters', (n) => r.hex(n, 'applet.parameters')));
  const description = top.has('description') ? r.string(top.get('description'), 'description') : undefined;
  const reader = top.has('reader') ? r.string(top.get('reader'), 'reader') : undefined;
  const atr = top.has('atr') ? r.string(top.get('atr'), 'atr').replace(/\s/g, '').toUpperCase() : undefined;
  if (atr !== undefined && !/^([0-9A-F]|X)+$/.test(atr)) r.fail(top.get('atr'), 'atr must be hex digits, x for any digit');
  return {
    name: r.string(need('name'), 'name'),
    file,
    ...(description !== undefined ? { description } : {}),
    ...(reader !== undefined ? { reader } : {}),
    ...(atr !== undefined ? { atr } : {}),
    isdAid: top.has('isd') ? r.aid(top.get('isd'), 'isd') : parseHex('A000000151000000'),
    scp,
    i,
    securityLevel,
    s16: top.has('s16') ? r.bool(top.get('s16'), 's16') : false,
    keys,
    diversification,
    load: {
      ...(blockSize !== undefined ? { blockSize } : {}),
      hash: hash as 'sha256' | 'sha1' | 'none',
      includeDescriptor: load.has('include-descriptor') ? r.bool(load.get('include-descriptor'), 'load.include-descriptor') : false,
      includeDebug: load.has('include-debug') ? r.bool(load.get('include-debug'), 'load.include-debug') : false,
    },
    install: {
      privilegeEncoding: install.has('privilege-encoding')
        ? r.int(install.get('privilege-encoding'), 'install.privilege-encoding', 1, 3) === 1
          ? 1
          : 3
        : 3,
      emptyC9,
      ...(volatileQ !== undefined ? { volatileMemoryQuota: volatileQ } : {}),
      ...(nonVolatileQ !== undefined ? { nonVolatileMemoryQuota: nonVolatileQ } : {}),
      ...(toolkit !== undefined ? { toolkitParameters: toolkit } : {}),
      ...(extra !== undefined ? { extraParameters: extra } : {}),
    },
    transport: {
      getResponse: transport.has('get-response') ? r.bool(transport.get('get-response'), 'transport.get-response') : true,
      extendedLength: transport.has('extended-length') ? r.bool(transport.get('extended-length'), 'transport.extended-length') : false,
    },
    applet: {
      ...(packageAid !== undefined ? { packageAid } : {}),
      ...(moduleAid !== undefined ? { moduleAid } : {}),
      ...(instanceAid !== undefined ? { instanceAid } : {}),
      privileges,
      ...(parameters !== undefined ? { parameters } : {}),
    },
  };
}

export function loadProfile(file: string, env: NodeJS.ProcessEnv = process.env): CardProfile {
  const text = readTextFile(file, (reason) => new ScriptError({ file, line: 1, column: 1 }, `cannot read profile: ${reason}`));
  return parseProfile(text, file, env);
}
