import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readAttestationCommand } from '../../apdu/jpki-commands.js';
import { ResponseApdu } from '../../apdu/response.js';
import { HarnessError } from '../../errors.js';
import type { Transport } from '../../transport/transport.js';
import { CardStatusError } from '../../errors.js';
import { JPKI_AID } from '../client/client.js';

/**
 * The applet's attested key-transport key (docs/personalisation.md, "Key establishment"):
 * READ ATTESTATION answers the key's DER SubjectPublicKeyInfo followed by the card authority's
 * (CASD's) signature over `4F len AID ‖ 'JPKI-KT' 01 ‖ SHA-256(SPKI)`. The SP-TSM checks it
 * against the CASD's certificate, itself checked against the card authority's root, before
 * it encrypts anything to the key.
 */

/** DER length of an RSA-2048 SubjectPublicKeyInfo with e = 65537: what the applet writes. */
const SPKI_LENGTH = 294;
const STATEMENT_TAG = Buffer.from('JPKI-KT\x01', 'latin1');

/** The card could not show that its applet key is its own: nothing secret may be sent to it. */
export class AttestationError extends HarnessError {
  readonly exitCode = 3;
}

export interface AttestationRecord {
  /** DER SubjectPublicKeyInfo of the applet's key-transport key. */
  readonly subjectPublicKeyInfo: Uint8Array;
  /** The card authority's signature; empty when the card has no authority service. */
  readonly signature: Uint8Array;
}

/** An attestation whose signature was checked: the key the content keys may be sent to. */
export interface VerifiedAttestation extends AttestationRecord {
  readonly transportKey: KeyObject;
  /** SHA-256 of the SPKI, upper-case hex: names this applet instance's key. */
  readonly keyFingerprint: string;
}

/** READ ATTESTATION 80 B6 offset Le, to the end of the record (the JPKI applet must be selected). */
export async function readAttestation(transport: Transport): Promise<AttestationRecord> {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < 0x1000;) {
    const r = new ResponseApdu(await transport.transmit(readAttestationCommand(offset)));
    if (r.sw === 0x6b00 && offset > 0) break;
    if (r.sw !== 0x9000 && r.sw !== 0x6282) throw new CardStatusError('READ ATTESTATION', r.sw);
    parts.push(Buffer.from(r.data));
    offset += r.data.length;
    if (r.sw === 0x6282 || r.data.length < 256) break;
  }
  return parseAttestation(Buffer.concat(parts));
}

export function parseAttestation(record: Uint8Array): AttestationRecord {
  if (record.length < SPKI_LENGTH || record[0] !== 0x30 || record[1] !== 0x82 || ((record[2]! << 8) | record[3]!) + 4 !== SPKI_LENGTH) {
    throw new AttestationError('the attestation record does not start with an RSA-2048 SubjectPublicKeyInfo');
  }
  const signature = record.subarray(SPKI_LENGTH);
  if (signature.length !== 0 && signature.length !== 256) {
    throw new AttestationError(`the attestation signature is ${signature.length} bytes; expected 256`);
  }
  return { subjectPublicKeyInfo: record.subarray(0, SPKI_LENGTH), signature };
}

/** What the card authority signs for the application `aid`: 4F len AID ‖ 'JPKI-KT' 01 ‖ SHA-256(SPKI). */
export function attestationStatement(spki: Uint8Array, aid: Uint8Array = JPKI_AID): Buffer {
  return Buffer.concat([Buffer.from([0x4f, aid.length]), aid, STATEMENT_TAG, createHash('sha256').update(spki).digest()]);
}

function publicKeyOf(spki: Uint8Array): KeyObject {
  try {
    const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'rsa' || key.asymmetricKeyDetails?.modulusLength !== 2048) {
      throw new AttestationError('the key-transport key is not RSA-2048');
    }
    return key;
  } catch (e) {
    if (e instanceof AttestationError) throw e;
    throw new AttestationError(`the key-transport key does not parse: ${(e as Error).message}`);
  }
}

/**
 * Checks the record's signature with the card authority's public key (from its verified
 * certificate). Throws AttestationError when it does not verify or is missing.
 */
export function verifyAttestation(record: AttestationRecord, authorityKey: KeyObject, aid: Uint8Array = JPKI_AID): VerifiedAttestation {
  if (record.signature.length === 0) {
    throw new AttestationError('the card gave no attestation: its applet key is not certified by a card authority');
  }
  const statement = attestationStatement(record.subjectPublicKeyInfo, aid);
  if (!verify('sha256', statement, authorityKey, record.signature)) {
    throw new AttestationError("the attestation does not verify with the card authority's key: not this card's applet key");
  }
  return accept(record);
}

/**
 * Accepts a record without a card authority: only where the operator is trusted with the
 * content keys (a development card); the caller says so explicitly.
 */
export function acceptUnattested(record: AttestationRecord): VerifiedAttestation {
  return accept(record);
}

function accept(record: AttestationRecord): VerifiedAttestation {
  return {
    ...record,
    transportKey: publicKeyOf(record.subjectPublicKeyInfo),
    keyFingerprint: createHash('sha256').update(record.subjectPublicKeyInfo).digest('hex').toUpperCase(),
  };
}
