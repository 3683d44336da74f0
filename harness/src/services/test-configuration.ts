/**
 * TEST ONLY: the keys and names the services use when started for a demonstration or a test. Every value
 * here is published, so nothing these services protect with them is secret; a deployment gives its own
 * (`jpki-harness serve --config`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseHex } from '../apdu/hex.js';
import { TEST_CARD_AUTHORITY_ROOT } from '../gp/card-authority.js';
import { makeKeySet, SIMULATOR_TEST_MASTER_KEY, type KeySet } from '../gp/keys.js';
import type { CardProfile } from '../gp/card-profile.js';
import { loadProfile } from '../gp/profile.js';
import { TEST_CONTENT_MASTER_KEYS } from '../jpki/test-ca/test-material.js';
import { packageRoot } from '../package-root.js';
import type { SpKeys } from './sp-tsm/write-flow.js';

/** The MNO's ISD master keys on the simulated SIMs: the simulator's TEST master (KDF3 per card). */
export const TEST_MNO_ISD_KEYS: KeySet = makeKeySet(0x30, SIMULATOR_TEST_MASTER_KEY);

/**
 * A mobile operator as the services know it: its name (what the JPKI-UI app puts in the application), the
 * card profile of its SIMs, and the issuer identification numbers its SIMs' CASD certificates certify.
 */
export interface TestOperator {
  readonly name: string;
  readonly profile: CardProfile;
  /** Absent: the operator's SIMs are recognised by its ISD keys alone (the standard simulated SIMs have random IINs). */
  readonly issuerIdentificationNumbers?: readonly string[];
}

/** Operator A, the first TEST MNO: the standard simulated SIMs (SCP03 i=70, KDF3, ISD A000000151000000). */
export const TEST_OPERATOR_A = 'test-mno-a';
/** Operator B, a second TEST MNO: SIMs of the persona scp02-i55-uicc-quirks (T=0, SCP02 i=55, EMV, C9 and EF/C7/C8). */
export const TEST_OPERATOR_B = 'test-mno-b';
/** The IIN of operator B's SIMs (89 telecom, 81 Japan, then its issuer number): start its simulated SIMs with it. */
export const TEST_OPERATOR_B_IIN = '898120260002';

export function testProfilePath(name: string): string {
  return path.join(packageRoot(), 'test-vectors', 'profiles', `${name}.yaml`);
}

/** The persona file of operator B's SIMs, for SimTransport.open({ persona, iin }). */
export function testOperatorBPersona(): string {
  return path.join(packageRoot(), 'test-vectors', 'personas', 'scp02-i55-uicc-quirks.yaml');
}

/** The TEST operators, the first being the default of applications that name none. */
export function testOperators(): TestOperator[] {
  // Operator A's profile with its ISD key version written out (30, as TEST_MNO_ISD_KEYS): the handover names
  // the SP domain's key set by it, and a PUT KEY replacing version 00 would add a set instead.
  const a = loadProfile(testProfilePath('simulator-scp03'));
  return [
    { name: TEST_OPERATOR_A, profile: { ...a, keys: { ...a.keys, version: TEST_MNO_ISD_KEYS.version } } },
    {
      name: TEST_OPERATOR_B,
      profile: loadProfile(testProfilePath('persona-scp02-i55-uicc-quirks')),
      issuerIdentificationNumbers: [TEST_OPERATOR_B_IIN],
    },
  ];
}

/** The SP's domain on every SIM. */
export const TEST_SP_DOMAIN_AID = parseHex('A00000015153504153500001');

/** The SP-TSM's keys: its domain master ("SP-TSM TEST KEY!") and its content-key master. */
export const TEST_SP_KEYS: SpKeys = {
  domainMaster: makeKeySet(0x30, Buffer.from('SP-TSM TEST KEY!', 'ascii')),
  contentMaster: TEST_CONTENT_MASTER_KEYS,
};

/** The SP-TSM's API key at the MNO-TSM. */
export const TEST_SP_API_KEY = 'TEST-sp-tsm-api-key-not-secret';
export const TEST_SP_NAME = 'test-sp';

export function testCardAuthorityRoot(): Uint8Array {
  return readFileSync(TEST_CARD_AUTHORITY_ROOT);
}

export function testCapFile(): string {
  return path.join(packageRoot(), 'test-vectors', 'cap', 'jpki-applet.cap');
}
