import { createPrivateKey, type KeyObject } from 'node:crypto';

/** Big-endian unsigned bytes of a base64url JWK field, left-padded to `length`. */
function field(jwkValue: string | undefined, name: string, length: number): Buffer {
  if (!jwkValue) throw new Error(`the key has no '${name}' component`);
  let bytes = Buffer.from(jwkValue, 'base64url');
  while (bytes.length > length && bytes[0] === 0) bytes = bytes.subarray(1);
  if (bytes.length > length) throw new Error(`key component '${name}' is longer than ${length} bytes`);
  return Buffer.concat([Buffer.alloc(length - bytes.length), bytes]);
}

/**
 * The applet's key import layout: 03 010001 ‖ n (256) ‖ p ‖ q ‖ dp ‖ dq ‖ qinv (128 each).
 * Only RSA-2048 with e = 65537, as the applet holds.
 */
export function keyImportLayout(key: KeyObject | string | Buffer): Uint8Array {
  const privateKey = typeof key === 'string' || Buffer.isBuffer(key) ? createPrivateKey(key) : key;
  if (privateKey.asymmetricKeyType !== 'rsa') throw new Error('the key is not an RSA key');
  const jwk = privateKey.export({ format: 'jwk' });
  const e = field(jwk.e, 'e', 3);
  if (e.toString('hex') !== '010001') throw new Error('the public exponent must be 65537');
  const n = field(jwk.n, 'n', 256);
  if ((n[0]! & 0x80) === 0) throw new Error('the key must be RSA-2048');
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([3]),
      e,
      n,
      field(jwk.p, 'p', 128),
      field(jwk.q, 'q', 128),
      field(jwk.dp, 'dp', 128),
      field(jwk.dq, 'dq', 128),
      field(jwk.qi, 'qi', 128),
    ]),
  );
}
