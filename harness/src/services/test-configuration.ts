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
import { TEST_CONTENT_MASTER_KEYS } from '../jpki/test-ca/test-material.js';
import { packageRoot } from '../sim/simulator-process.js';
import type { SpKeys } from './sp-tsm/write-flow.js';

/** The MNO's ISD master keys on the simulated SIMs: the simulator's TEST master (KDF3 per card). */
export const TEST_MNO_ISD_KEYS: KeySet = makeKeySet(0x30, SIMULATOR_TEST_MASTER_KEY);

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
