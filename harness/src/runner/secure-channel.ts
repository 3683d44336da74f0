/**
 * The secure-channel step of scenario scripts at run time: what a script wrote after `secure-channel:`
 * (a SecureChannelSpec, plain data) becomes the options of a GpSession here, and only here: the profile
 * is read and `env:` keys are looked up when the step runs. The scenario runner opens the session
 * (openScriptSession, unless the caller passes another opener) and sends every following step through
 * it (a GpSession is a Transport).
 *
 *   - name: open the ISD
 *     secure-channel: { profile: ../profiles/simulator-scp03.yaml, level: cmac+cdec+rmac+renc }
 *   - name: open with explicit keys
 *     secure-channel: { scp: 3, i: 0x70, kvn: 0x30, key: env:ISD_KEY, sd: A000000151000000 }
 */
import path from 'node:path';
import { parseHex } from '../apdu/hex.js';
import { checkSecurityLevel, parseSecurityLevel } from '../gp/channel.js';
import { GpConfigError } from '../gp/errors.js';
import { DIVERSIFICATIONS, makeKeySet, resolveKeyText, type Diversification } from '../gp/keys.js';
import { loadProfile } from '../gp/profile.js';
import { GpSession, type GpSessionOptions } from '../gp/session.js';
import { SECURE_CHANNEL_STEP_KEYS, type SecureChannelSpec } from '../script/scenario.js';
import type { Transport } from '../transport/transport.js';

export { SECURE_CHANNEL_STEP_KEYS };

function asInt(name: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^(0x[0-9a-f]+|[0-9]+)$/i.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new GpConfigError(`secure-channel ${name} must be ${min}..${max}, got ${String(value)}`);
  return n;
}

function asString(name: string, value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number') throw new GpConfigError(`secure-channel ${name} must be a string`);
  return String(value);
}

function key(name: string, value: unknown, env: NodeJS.ProcessEnv): Uint8Array {
  return resolveKeyText(`secure-channel ${name}`, asString(name, value), env);
}

/**
 * Turns the step's mapping into session options. `baseDir` resolves a relative profile path (the
 * script's folder). Unknown keys and bad values are GpConfigErrors; the caller adds file:line.
 */
export function secureChannelOptions(
  step: Readonly<Record<string, unknown>>,
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
): GpSessionOptions {
  for (const k of Object.keys(step)) {
    if (!(SECURE_CHANNEL_STEP_KEYS as readonly string[]).includes(k))
      throw new GpConfigError(`unknown secure-channel key '${k}' (expected one of: ${SECURE_CHANNEL_STEP_KEYS.join(', ')})`);
  }
  const profile = step['profile'] !== undefined ? loadProfile(path.resolve(baseDir, asString('profile', step['profile'])), env) : undefined;
  const scp = step['scp'] !== undefined ? (asInt('scp', step['scp'], 2, 3) as 2 | 3) : profile?.scp;
  const version = step['kvn'] !== undefined ? asInt('kvn', step['kvn'], 0, 0x7f) : (profile?.keys.version ?? 0);
  let keys = profile?.keys;
  if (step['key'] !== undefined) keys = makeKeySet(version, key('key', step['key'], env));
  if (step['enc'] !== undefined) {
    const enc = key('enc', step['enc'], env);
    keys = makeKeySet(
      version,
      enc,
      step['mac'] !== undefined ? key('mac', step['mac'], env) : enc,
      step['dek'] !== undefined ? key('dek', step['dek'], env) : enc,
    );
  }
  if (keys === undefined) throw new GpConfigError('secure-channel needs keys: a profile, key, or enc/mac/dek');
  if (keys.version !== version) keys = makeKeySet(version, keys.enc, keys.mac, keys.dek);
  let level = profile?.securityLevel ?? 0x01;
  if (step['level'] !== undefined) level = parseSecurityLevel(asString('level', step['level']));
  if (scp !== undefined) checkSecurityLevel(level, scp);
  let diversification: Diversification = profile?.diversification ?? 'none';
  if (step['diversification'] !== undefined) {
    const d = asString('diversification', step['diversification']).toLowerCase();
    if (!DIVERSIFICATIONS.includes(d as Diversification))
      throw new GpConfigError(`secure-channel diversification must be one of ${DIVERSIFICATIONS.join(', ')}`);
    diversification = d as Diversification;
  }
  const i = step['i'] !== undefined ? asInt('i', step['i'], 0, 0xff) : profile?.i;
  let sdAid = profile?.isdAid;
  if (step['sd'] !== undefined) {
    try {
      sdAid = parseHex(asString('sd', step['sd']));
    } catch (e) {
      throw new GpConfigError(`secure-channel sd: ${(e as Error).message}`);
    }
  }
  return {
    keys,
    diversification,
    securityLevel: level,
    ...(scp !== undefined ? { scp } : {}),
    ...(i !== undefined ? { i } : {}),
    ...(sdAid !== undefined ? { sdAid } : {}),
    ...(profile !== undefined ? { s16: profile.s16 } : {}),
  };
}

/** What the runner needs of a secure-channel session: a Transport that can be ended. */
export interface SecureChannelSession extends Transport {
  end(): Promise<void>;
}

/** Opens the session a `secure-channel:` step asks for, over `transport`; `baseDir` is the scenario's folder. */
export type SecureChannelOpener = (transport: Transport, spec: SecureChannelSpec, baseDir: string) => Promise<SecureChannelSession>;

/** The default opener: the step's options resolved now (profile, env: keys), then a GpSession. */
export const openScriptSession: SecureChannelOpener = (transport, spec, baseDir) => GpSession.open(transport, secureChannelOptions(spec, baseDir));
