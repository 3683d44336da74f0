import { createHash } from 'node:crypto';
import { concatBytes, parseHex } from './hex.js';

/** Hash algorithms a DigestInfo is built for (the `sign` step of scenarios, the JPKI client). */
export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** DER prefixes of PKCS#1 v1.5 DigestInfo (RFC 8017 §9.2, note 1), up to the digest octets. */
const PREFIXES: Record<HashName, string> = {
  sha1: '3021300906052B0E03021A05000414',
  sha256: '3031300D060960864801650304020105000420',
  sha384: '3041300D060960864801650304020205000430',
  sha512: '3051300D060960864801650304020305000440',
};

export const DIGEST_LENGTH: Readonly<Record<HashName, number>> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

/** The DigestInfo for a digest; throws RangeError when its length does not fit the hash. */
export function digestInfo(hash: HashName, digest: Uint8Array): Uint8Array {
  if (digest.length !== DIGEST_LENGTH[hash]) {
    throw new RangeError(`a ${hash} digest has ${DIGEST_LENGTH[hash]} bytes, got ${digest.length}`);
  }
  return concatBytes(parseHex(PREFIXES[hash]), digest);
}

export function hashMessage(hash: HashName, message: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(hash).update(message).digest());
}
