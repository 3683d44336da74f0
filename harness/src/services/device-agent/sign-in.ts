/**
 * The device agent signing the user in to a relying party (the "UI app" use case): it asks the service
 * for a challenge over HTTPS, pinning the service's certificate; reads the user-authentication
 * certificate and the CA certificate from the SIM (files 000A and 000B); verifies the PIN; has the SIM
 * sign the challenge (DigestInfo SHA-256, PKCS#1 v1.5); and sends the lot. The service's answer is the
 * session. A refusal is the service's ServiceCallError (its code: signature-invalid, certificate-revoked…).
 */
import { performance } from 'node:perf_hooks';
import { JpkiClient, JpkiFile } from '../../jpki/client/client.js';
import type { Transport } from '../../transport/transport.js';
import { ServiceCallError } from '../http/errors.js';
import { callPinnedJson } from '../http/pinned-client.js';

export interface SignInOptions {
  /** The relying party, https://… */
  readonly url: string;
  /** The certificate (PEM) the relying party must present: the only one trusted for this sign-in. */
  readonly ca: string | Buffer;
  readonly sim: Transport;
  /** The credential's PIN; left out for a PIN-less credential. */
  readonly pin?: string;
}

export interface SignInResult {
  /** The bearer token of the session. */
  readonly session: string;
  readonly subject: string;
  readonly serial: string;
  readonly expiresAt: string;
  /** Challenge requested to session opened, and the SIM's own signing (the sign command alone). */
  readonly totalMs: number;
  readonly signMs: number;
}

const SERVICE = 'relying party';

function stringField(value: unknown, name: string): string {
  const v = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
  if (typeof v !== 'string' || v === '') throw new ServiceCallError(SERVICE, 200, 'malformed-answer', `the answer has no ${name}`);
  return v;
}

export async function signIn(options: SignInOptions): Promise<SignInResult> {
  const started = performance.now();
  const call = (path: string, body?: unknown): Promise<unknown> =>
    callPinnedJson(SERVICE, new URL(path, options.url.endsWith('/') ? options.url : `${options.url}/`).toString(), {
      ca: options.ca,
      method: 'POST',
      ...(body !== undefined ? { body } : {}),
    });
  const issued = await call('challenges');
  const challengeId = stringField(issued, 'id');
  const challenge = Buffer.from(stringField(issued, 'challenge'), 'base64');
  const client = new JpkiClient(options.sim);
  await client.selectApplication();
  const certificate = await client.readFile(JpkiFile.AuthCertificate);
  const caCertificate = await client.readFile(JpkiFile.AuthCaCertificate);
  if (options.pin !== undefined) await client.verifyPin(options.pin);
  const signStarted = performance.now();
  const signature = await client.sign('sha256', challenge);
  const signMs = performance.now() - signStarted;
  const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
  const session = await call('sessions', {
    challengeId,
    certificate: b64(certificate),
    caCertificate: b64(caCertificate),
    signature: b64(signature),
  });
  return {
    session: stringField(session, 'session'),
    subject: stringField(session, 'subject'),
    serial: stringField(session, 'serial'),
    expiresAt: stringField(session, 'expiresAt'),
    totalMs: performance.now() - started,
    signMs,
  };
}

/** Who the relying party says is signed in with `session`. */
export async function whoAmI(
  url: string,
  ca: string | Buffer,
  session: string,
): Promise<{ subject: string; serial: string; issuer: string; signedInAt: string; expiresAt: string }> {
  const target = new URL('sessions/me', url.endsWith('/') ? url : `${url}/`).toString();
  const answer = await callPinnedJson(SERVICE, target, { ca, method: 'GET', headers: { authorization: `Bearer ${session}` } });
  const f = (name: string): string => stringField(answer, name);
  return { subject: f('subject'), serial: f('serial'), issuer: f('issuer'), signedInAt: f('signedInAt'), expiresAt: f('expiresAt') };
}
