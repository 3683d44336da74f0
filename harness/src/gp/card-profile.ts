/**
 * A card profile as the harness uses it: how to reach a card, which security domain and secure channel it
 * speaks, its keys and their diversification, and its quirks for LOAD and INSTALL. Profiles are YAML files
 * (profile.ts reads them, format in docs/vendor-profile.md); the simulated UICC's is also built in, so that a
 * command run without --profile reads no YAML.
 */
import { parseHex, toHex } from '../apdu/hex.js';
import type { InstallParametersOptions, UiccInstallParameters } from './commands.js';
import { makeKeySet, SIMULATOR_TEST_MASTER_KEY, type Diversification, type KeySet } from './keys.js';

export interface CardProfile {
  readonly name: string;
  readonly file: string;
  readonly description?: string;
  /** PC/SC reader: exact name or substring. */
  readonly reader?: string;
  /** Expected ATR, hex; `x` digits match anything. */
  readonly atr?: string;
  readonly isdAid: Uint8Array;
  readonly scp: 2 | 3;
  readonly i: number;
  readonly securityLevel: number;
  readonly s16: boolean;
  readonly keys: KeySet;
  readonly diversification: Diversification;
  readonly load: {
    readonly blockSize?: number;
    readonly hash: 'sha256' | 'sha1' | 'none';
    readonly includeDescriptor: boolean;
    readonly includeDebug: boolean;
  };
  readonly install: {
    readonly privilegeEncoding: 1 | 3;
    readonly emptyC9: 'c900' | 'omit';
    readonly volatileMemoryQuota?: number;
    readonly nonVolatileMemoryQuota?: number;
    readonly toolkitParameters?: Uint8Array;
    readonly extraParameters?: Uint8Array;
  };
  readonly transport: {
    /** Fetch 61xx with GET RESPONSE (T=0 cards). */
    readonly getResponse: boolean;
    readonly extendedLength: boolean;
  };
  readonly applet: {
    readonly packageAid?: Uint8Array;
    readonly moduleAid?: Uint8Array;
    readonly instanceAid?: Uint8Array;
    readonly privileges: readonly string[];
    readonly parameters?: Uint8Array;
  };
}

/** Where the built-in profile is written down as YAML, in this package. */
export const SIMULATOR_PROFILE_FILE = 'test-vectors/profiles/simulator-scp03.yaml';

/**
 * The profile used when none is given: the simulated UICC's issuer security domain over SCP03 (i=70),
 * C-MAC + C-DECRYPTION, keys diversified (KDF3) from the GlobalPlatform TEST master key 40..4F. The same
 * values as SIMULATOR_PROFILE_FILE, which a test keeps equal. TEST KEYS ONLY.
 */
export function simulatorProfile(file: string = SIMULATOR_PROFILE_FILE): CardProfile {
  return {
    name: 'simulator-scp03',
    file,
    description: 'jCardSim-based simulated UICC, ISD over SCP03 (i=70), C-MAC + C-DECRYPTION',
    reader: 'Virtual PCD',
    isdAid: parseHex('A000000151000000'),
    scp: 3,
    i: 0x70,
    securityLevel: 0x03,
    s16: false,
    keys: makeKeySet(0, SIMULATOR_TEST_MASTER_KEY),
    diversification: 'kdf3',
    load: { hash: 'sha256', includeDescriptor: false, includeDebug: false },
    install: { privilegeEncoding: 3, emptyC9: 'c900' },
    transport: { getResponse: true, extendedLength: false },
    applet: {
      packageAid: parseHex('D392F0002601000000'),
      moduleAid: parseHex('D392F000260100000001'),
      instanceAid: parseHex('D392F000260100000001'),
      privileges: [],
    },
  };
}

/**
 * The install parameters a profile's card wants in INSTALL [for install]: C9 even when empty (or not), and
 * the UICC system parameters (EF with the C7/C8 memory quotas, EA, further templates) when it names them.
 */
export function profileInstallParameters(profile: CardProfile, applicationParameters?: Uint8Array): InstallParametersOptions {
  const p = profile.install;
  const uicc: UiccInstallParameters = {
    ...(p.volatileMemoryQuota !== undefined ? { volatileMemoryQuota: p.volatileMemoryQuota } : {}),
    ...(p.nonVolatileMemoryQuota !== undefined ? { nonVolatileMemoryQuota: p.nonVolatileMemoryQuota } : {}),
    ...(p.toolkitParameters !== undefined ? { toolkitParameters: p.toolkitParameters } : {}),
    ...(p.extraParameters !== undefined ? { accessParameters: p.extraParameters } : {}),
  };
  return {
    ...(applicationParameters !== undefined ? { applicationParameters } : {}),
    emptyC9: p.emptyC9,
    ...(Object.keys(uicc).length > 0 ? { uicc } : {}),
  };
}

/** Does an ATR match a profile's pattern (hex digits, x for any digit)? */
export function atrMatches(pattern: string, atr: Uint8Array): boolean {
  const hex = toHex(atr);
  if (hex.length !== pattern.length) return false;
  for (let i = 0; i < hex.length; i++) if (pattern[i] !== 'X' && pattern[i] !== hex[i]) return false;
  return true;
}
