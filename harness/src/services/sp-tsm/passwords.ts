/**
 * Secrets the SP-TSM checks but must not keep: the applicant's password (a slow, salted scrypt hash,
 * parameters stored with it so they can grow) and the access code (random, so a plain SHA-256 of it
 * suffices). Comparisons are constant-time.
 */
import { createHash, randomBytes, randomInt, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scryptAsync = (password: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => scrypt(password, salt, length, options, (e, key) => (e ? reject(e) : resolve(key))));

/** scrypt N=2^15, r=8, p=1 (32 MiB, tens of milliseconds): OWASP's minimum for scrypt. */
export const PASSWORD_HASH_PARAMETERS = { N: 1 << 15, r: 8, p: 1 } as const;

export async function hashPassword(password: string, parameters: { N: number; r: number; p: number } = PASSWORD_HASH_PARAMETERS): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password.normalize('NFKC'), salt, 32, { ...parameters, maxmem: 128 * parameters.N * parameters.r * 2 });
  return `scrypt$${parameters.N}$${parameters.r}$${parameters.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const N = Number(n);
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(password.normalize('NFKC'), Buffer.from(salt, 'base64'), expected.length, {
    N,
    r: Number(r),
    p: Number(p),
    maxmem: 128 * N * Number(r) * 2,
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The download password's rule: 8–64 characters, printable ASCII, letters and digits both present. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 8 || password.length > 64) return 'the password must be 8 to 64 characters long';
  if (!/^[\x21-\x7e]+$/.test(password)) return 'the password may use printable ASCII characters only (no spaces)';
  if (!/[A-Za-z]/.test(password) || !/[0-9]/.test(password)) return 'the password must contain letters and digits';
  return undefined;
}

const ACCESS_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // no 0/O, 1/I

/** 16 characters from a 32-letter alphabet: 80 bits, grouped by four for reading aloud. */
export function newAccessCode(): string {
  let code = '';
  for (let i = 0; i < 16; i++) code += ACCESS_CODE_ALPHABET.charAt(randomInt(ACCESS_CODE_ALPHABET.length));
  return code.replace(/(.{4})(?!$)/g, '$1-');
}

export function accessCodeDigest(code: string): string {
  return createHash('sha256')
    .update(code.toUpperCase().replace(/[^A-Z0-9]/g, ''), 'utf8')
    .digest('hex');
}

export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
