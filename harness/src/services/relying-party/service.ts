/**
 * The relying party of the "UI app" use case: a service provider's HTTPS service that signs a user in
 * with the SIM credential. It hands out a fresh challenge; the device agent has the SIM sign it with the
 * user-authentication key and sends the signature with the SIM's certificates; the service checks them
 * (verify-sign-in.ts) and opens a session, recorded in the database.
 *
 *   POST /challenges    → 201 { id, challenge, expiresAt }
 *   POST /sessions      { challengeId, certificate, caCertificate, signature } → 201 { session, subject, serial, expiresAt }
 *   GET  /sessions/me   Authorization: Bearer <session> → { subject, serial, issuer, signedInAt, expiresAt }
 */
import type { Database } from '../db/database.js';
import { ServiceError, badRequest } from '../http/errors.js';
import { startService, type RequestContext, type Route, type ServiceOptions } from '../http/server.js';
import { ChallengeStore } from './challenges.js';
import { SessionStore } from './sessions.js';
import { makeTestTlsIdentity, type TlsIdentity } from './tls.js';
import { verifySignIn } from './verify-sign-in.js';

export interface RelyingPartyOptions {
  readonly db: Database;
  /** DER of the JPKI root the SIM certificates must chain to (loadJpkiPki().root.der for the TEST PKI). */
  readonly root: Uint8Array;
  /** The clock (tests move it past a certificate's notAfter); default the system's. */
  readonly now?: () => Date;
  readonly challengeLifetimeMs?: number;
  readonly sessionLifetimeMs?: number;
  /** How long the OCSP responder may take before the sign-in is refused as unavailable. */
  readonly ocspTimeoutMs?: number;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function field(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value === '') throw badRequest('missing-field', `${name} is required`);
  return value;
}

function base64Field(body: Record<string, unknown>, name: string): Uint8Array {
  const text = field(body, name);
  if (text.length % 4 !== 0 || !BASE64.test(text)) throw badRequest('malformed-base64', `${name} is not base64`);
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function objectBody(request: RequestContext): Record<string, unknown> {
  const value = request.json();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest('malformed-body', 'the body must be a JSON object');
  return value as Record<string, unknown>;
}

function bearer(request: RequestContext): string {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(header) : null;
  if (!match) throw new ServiceError(401, 'not-signed-in', 'Authorization: Bearer <session> is required');
  return match[1]!;
}

export class RelyingParty {
  private readonly challenges: ChallengeStore;
  private readonly sessions: SessionStore;
  private readonly now: () => Date;

  constructor(private readonly options: RelyingPartyOptions) {
    this.now = options.now ?? (() => new Date());
    this.challenges = new ChallengeStore({
      now: this.now,
      ...(options.challengeLifetimeMs !== undefined ? { lifetimeMs: options.challengeLifetimeMs } : {}),
    });
    this.sessions = new SessionStore(options.db, options.sessionLifetimeMs ?? 30 * 60_000);
  }

  routes(): Route[] {
    return [
      {
        method: 'POST',
        path: '/challenges',
        handler: () => {
          const c = this.challenges.issue();
          return Promise.resolve({
            status: 201,
            json: { id: c.id, challenge: Buffer.from(c.challenge).toString('base64'), expiresAt: c.expiresAt.toISOString() },
          });
        },
      },
      {
        method: 'POST',
        path: '/sessions',
        handler: async (request) => {
          const body = objectBody(request);
          const challengeId = field(body, 'challengeId');
          const evidence = {
            certificate: base64Field(body, 'certificate'),
            caCertificate: base64Field(body, 'caCertificate'),
            signature: base64Field(body, 'signature'),
          };
          const challenge = this.challenges.take(challengeId);
          const now = this.now();
          const verified = await verifySignIn(
            { ...evidence, challenge },
            { root: this.options.root, now, signal: AbortSignal.timeout(this.options.ocspTimeoutMs ?? 10_000) },
          );
          const session = await this.sessions.open(challengeId, verified, now);
          return {
            status: 201,
            json: { session: session.token, subject: verified.subject, serial: verified.serial, expiresAt: session.expiresAt.toISOString() },
          };
        },
      },
      {
        method: 'GET',
        path: '/sessions/me',
        handler: async (request) => {
          const signedIn = await this.sessions.find(bearer(request), this.now());
          if (!signedIn) throw new ServiceError(401, 'not-signed-in', 'the session is unknown or expired: sign in again');
          return {
            json: {
              subject: signedIn.subject,
              serial: signedIn.serial,
              issuer: signedIn.issuer,
              signedInAt: signedIn.signedInAt.toISOString(),
              expiresAt: signedIn.expiresAt.toISOString(),
            },
          };
        },
      },
    ];
  }
}

export interface StartRelyingPartyOptions extends RelyingPartyOptions, Omit<ServiceOptions, 'tls'> {
  /** A TLS certificate and key (PEM) to serve; default a TEST certificate made now for the loopback names. */
  readonly tls?: TlsIdentity;
}

export interface RunningRelyingParty {
  readonly url: string;
  readonly port: number;
  /** The server's certificate (PEM), for clients to pin. */
  readonly certificate: string;
  close(): Promise<void>;
}

/** Starts the relying party on HTTPS only: it never answers in clear. */
export async function startRelyingParty(options: StartRelyingPartyOptions): Promise<RunningRelyingParty> {
  const tls = options.tls ?? (await makeTestTlsIdentity());
  const service: ServiceOptions = {
    tls,
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
    ...(options.onInternalError ? { onInternalError: options.onInternalError } : {}),
  };
  const running = await startService(new RelyingParty(options).routes(), service);
  return { url: running.url, port: running.port, certificate: tls.cert, close: () => running.close() };
}
