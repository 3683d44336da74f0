import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GpSession } from '../../gp/session.js';
import { makeKeySet, SIMULATOR_TEST_MASTER_KEY, type Diversification, type KeySet } from '../../gp/keys.js';
import { packageRoot } from '../../package-root.js';
import type { Transport } from '../../transport/transport.js';
import { ResponseApdu } from '../../apdu/response.js';
import { selectAidCommand } from '../../apdu/jpki-commands.js';
import { readCardAuthorityCertificate, TEST_CARD_AUTHORITY_ROOT, verifyCardAuthority, type VerifiedCardAuthority } from '../../gp/card-authority.js';
import { readAttestation, verifyAttestation, type VerifiedAttestation } from '../sp-tsm/attestation.js';
import { CardStatusError } from '../../errors.js';
import { JPKI_AID } from '../client/client.js';
import { personalise, type PersonalisationResult } from '../sp-tsm/personalise.js';
import { diversifyContentKeys, type ContentKeys } from '../sp-tsm/sealer.js';
import { TestCertificateAuthority } from './test-ca.js';

/**
 * TEST ONLY: the simulator's master keys for its SCP03 key set 30 (the GlobalPlatform test key); each
 * simulated card holds them diversified with its KDD (KDF3), which openAdminSession applies.
 */
export const TEST_GP_KEYS: KeySet = makeKeySet(0x30, SIMULATOR_TEST_MASTER_KEY);

/** TEST ONLY: master content keys of the test SP-TSM; each card gets keys diversified from them. */
export const TEST_CONTENT_MASTER_KEYS: ContentKeys = {
  encryption: Buffer.from('000102030405060708090A0B0C0D0E0F', 'hex'),
  mac: Buffer.from('F0E0D0C0B0A090807060504030201000', 'hex'),
};

export const TEST_PIN = '1234';

/** The test SP-TSM's content keys for one card, identified by its key diversification data. */
export function testContentKeys(cardIdentity: Uint8Array): ContentKeys {
  return diversifyContentKeys(TEST_CONTENT_MASTER_KEYS, cardIdentity);
}

/** C-MAC + C-DECRYPTION + R-MAC: what the administration interface needs, plus protected answers. */
export const ADMIN_SECURITY_LEVEL = 0x13;

function certificatesDirectory(): string {
  return path.join(packageRoot(), 'test-vectors', 'certs');
}

/**
 * Opens an administration session through the applet (SELECT JPKI, then SCP03 to its security domain).
 * The default keys are the simulator's TEST master, diversified (KDF3) with the KDD the card returns;
 * other keys are used as given unless `diversification` says otherwise.
 */
export async function openAdminSession(
  transport: Transport,
  keys: KeySet = TEST_GP_KEYS,
  securityLevel = ADMIN_SECURITY_LEVEL,
  diversification: Diversification = keys === TEST_GP_KEYS ? 'kdf3' : 'none',
): Promise<GpSession> {
  return GpSession.open(transport, { keys, securityLevel, sdAid: JPKI_AID, diversification });
}

export interface TestPersonalisationOptions {
  /** Generate the key on the card and have the test CA certify it (default: import the test key). */
  readonly generate?: boolean;
  readonly pin?: string;
  readonly pinLess?: boolean;
  readonly onStep?: (step: string) => void;
  /** The card authority root to trust (DER); default the simulator's TEST root. */
  readonly cardAuthorityRoot?: Uint8Array;
  /** The user-authentication certificate to write for the imported TEST key (default test-auth.der). */
  readonly certificate?: Uint8Array;
  /** Opens the administration session (default openAdminSession with the TEST keys); a card profile's keys go here. */
  readonly openSession?: () => Promise<GpSession>;
}

/** The applet's key-transport key, checked: CASD certificate against the root, then the CASD's signature over the key. */
export interface AttestedCard {
  readonly attestation: VerifiedAttestation;
  readonly authority: VerifiedCardAuthority;
}

/**
 * Reads and checks the card's attestation (docs/personalisation.md, "Key establishment"): the CASD
 * certificate against `root`, the applet's key against the CASD. Leaves the JPKI applet selected.
 */
export async function attestCard(transport: Transport, root: Uint8Array = readFileSync(TEST_CARD_AUTHORITY_ROOT)): Promise<AttestedCard> {
  const authority = verifyCardAuthority(await readCardAuthorityCertificate(transport), root);
  const select = new ResponseApdu(await transport.transmit(selectAidCommand(JPKI_AID)));
  if (select.sw !== 0x9000) throw new CardStatusError('SELECT JPKI', select.sw);
  const attestation = verifyAttestation(await readAttestation(transport), authority.publicKey);
  return { attestation, authority };
}

/** The test SP-TSM's content keys for the applet instance whose attested key this is. */
export function testContentKeysFor(attestation: VerifiedAttestation): ContentKeys {
  return testContentKeys(Buffer.from(attestation.keyFingerprint, 'hex'));
}

/**
 * Personalises the applet on `transport` with the TEST credential in test-vectors/certs, the way an
 * SP-TSM would: secure channel through the applet, sealed content, personalised state.
 */
export async function personaliseWithTestCredential(transport: Transport, options: TestPersonalisationOptions = {}): Promise<PersonalisationResult> {
  const directory = certificatesDirectory();
  const ca = await TestCertificateAuthority.load(directory);
  options.onStep?.('card authority and applet attestation');
  const { attestation } = await attestCard(transport, options.cardAuthorityRoot);
  const session = await (options.openSession ?? (() => openAdminSession(transport)))();
  try {
    return await personalise(
      session,
      {
        contentKeys: testContentKeysFor(attestation),
        attestation,
        key: options.generate ? { generate: true } : { import: readFileSync(path.join(directory, 'test-auth.key.pem')) },
        ...(options.generate ? {} : { certificate: options.certificate ?? readFileSync(path.join(directory, 'test-auth.der')) }),
        caCertificate: ca.der,
        pin: options.pin ?? TEST_PIN,
        pinPolicy: options.pinLess ? 'pin-less' : 'pin-required',
      },
      {
        certify: (spki) => ca.issue(spki),
        ...(options.onStep ? { onStep: options.onStep } : {}),
      },
    );
  } finally {
    await session.end();
  }
}
