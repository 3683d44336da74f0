/**
 * Key transport of the private keys the JPKI system generates, to the SP-TSM: a fresh AES-256-GCM key
 * encrypts the PKCS#8 private key; RSA-OAEP (SHA-256, MGF1-SHA-256) encrypts that AES key to the
 * SP-TSM's public key. The context (issuance and certificate serial) is the GCM additional data, so a
 * wrapped key cannot be presented as another issuance's.
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { HarnessError } from '../../errors.js';

export const KEY_TRANSPORT_SCHEME = 'RSA-OAEP-256+A256GCM';

export interface WrappedKey {
  readonly scheme: typeof KEY_TRANSPORT_SCHEME;
  /** RSA-OAEP-256(AES key), base64. */
  readonly encryptedKey: string;
  readonly iv: string;
  /** AES-256-GCM(PKCS#8 DER), base64. */
  readonly ciphertext: string;
  readonly tag: string;
  /** The additional authenticated data, as text: `issuance:<id>;certificate:<serial>`. */
  readonly context: string;
}

export class KeyTransportError extends HarnessError {
  readonly exitCode = 4;
}

export function keyTransportContext(issuanceId: string, certificateSerial: string): string {
  return `issuance:${issuanceId};certificate:${certificateSerial}`;
}

export function wrapPrivateKey(privateKey: KeyObject, recipient: KeyObject, context: string): WrappedKey {
  if (recipient.asymmetricKeyType !== 'rsa') throw new KeyTransportError('the key-transport recipient must be an RSA public key');
  const contentKey = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', contentKey, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  const ciphertext = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
  const encryptedKey = publicEncrypt({ key: recipient, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, contentKey);
  contentKey.fill(0);
  return {
    scheme: KEY_TRANSPORT_SCHEME,
    encryptedKey: encryptedKey.toString('base64'),
    iv: iv.toString('base64'),
    ciphertext: ciphertext.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    context,
  };
}

/** The SP-TSM's side: the private key back, or a KeyTransportError when anything does not check. */
export function unwrapPrivateKey(wrapped: WrappedKey, recipientPrivateKey: KeyObject, expectedContext?: string): KeyObject {
  if (wrapped.scheme !== KEY_TRANSPORT_SCHEME) throw new KeyTransportError(`unknown key-transport scheme ${String(wrapped.scheme)}`);
  if (expectedContext !== undefined && wrapped.context !== expectedContext)
    throw new KeyTransportError('the wrapped key belongs to another issuance');
  try {
    const contentKey = privateDecrypt(
      { key: recipientPrivateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      Buffer.from(wrapped.encryptedKey, 'base64'),
    );
    const decipher = createDecipheriv('aes-256-gcm', contentKey, Buffer.from(wrapped.iv, 'base64'));
    decipher.setAAD(Buffer.from(wrapped.context, 'utf8'));
    decipher.setAuthTag(Buffer.from(wrapped.tag, 'base64'));
    const pkcs8 = Buffer.concat([decipher.update(Buffer.from(wrapped.ciphertext, 'base64')), decipher.final()]);
    contentKey.fill(0);
    return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  } catch (e) {
    throw new KeyTransportError(`the wrapped key does not unwrap: ${(e as Error).message}`);
  }
}

/** Parses a wrapped key from JSON (as stored or sent). */
export function parseWrappedKey(value: unknown): WrappedKey {
  if (typeof value !== 'object' || value === null) throw new KeyTransportError('a wrapped key is an object');
  const v = value as Record<string, unknown>;
  for (const field of ['scheme', 'encryptedKey', 'iv', 'ciphertext', 'tag', 'context'] as const) {
    if (typeof v[field] !== 'string') throw new KeyTransportError(`wrapped key: ${field} missing`);
  }
  return v as unknown as WrappedKey;
}
