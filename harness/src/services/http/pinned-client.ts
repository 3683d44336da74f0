/**
 * JSON over HTTPS to a service whose certificate the caller pins: the PEM given is the only trust
 * anchor of that one request (node:https's `ca`), so neither the system's CAs nor a global setting are
 * involved. Global fetch cannot take a CA per request; this client can. Refusals become
 * ServiceCallError like callJson's; a server that does not present the pinned certificate is
 * `untrusted-server`, one that cannot be reached `unreachable`.
 */
import { request as httpsRequest } from 'node:https';
import { ServiceCallError } from './errors.js';

export interface PinnedCallOptions {
  /** The certificate (or CA) PEM the server must present or chain to. */
  readonly ca: string | Buffer;
  readonly method?: 'GET' | 'POST';
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/** OpenSSL and Node codes that mean: the server is not the one pinned. */
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface RawAnswer {
  readonly status: number;
  readonly text: string;
}

function exchange(url: URL, options: PinnedCallOptions): Promise<RawAnswer> {
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: options.method ?? (payload ? 'POST' : 'GET'),
        ca: options.ca,
        // A fresh connection per call: a pooled socket must never carry a request to a server pinned differently.
        agent: false,
        headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}), ...(options.headers ?? {}) },
        timeout: options.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(payload);
  });
}

function refusal(value: unknown): { code: string; message: string } | undefined {
  if (typeof value !== 'object' || value === null || !('error' in value)) return undefined;
  const e = value.error;
  if (typeof e !== 'object' || e === null) return undefined;
  const { code, message } = e as { code?: unknown; message?: unknown };
  return { code: typeof code === 'string' ? code : 'unknown', message: typeof message === 'string' ? message : 'refused' };
}

/** A JSON request to an https:// URL, trusting only `options.ca`; resolves with the parsed answer on 2xx. */
export async function callPinnedJson(service: string, url: string, options: PinnedCallOptions): Promise<unknown> {
  const target = new URL(url);
  if (target.protocol !== 'https:')
    throw new ServiceCallError(service, 0, 'not-https', `${target.origin} is not https: the certificate could not be pinned`);
  let answer: RawAnswer;
  try {
    answer = await exchange(target, options);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why = error instanceof Error ? error.message : String(error);
    if (typeof code === 'string' && UNTRUSTED.has(code)) {
      throw new ServiceCallError(service, 0, 'untrusted-server', `${target.origin} does not present the pinned certificate (${why})`);
    }
    throw new ServiceCallError(service, 0, 'unreachable', `cannot reach ${target.origin} (${why})`);
  }
  let parsed: unknown = undefined;
  if (answer.text !== '') {
    try {
      parsed = JSON.parse(answer.text) as unknown;
    } catch {
      throw new ServiceCallError(service, answer.status, 'malformed-answer', `answered ${answer.status} with a body that is not JSON`);
    }
  }
  if (answer.status < 200 || answer.status >= 300) {
    const e = refusal(parsed) ?? { code: `http-${answer.status}`, message: `answered ${answer.status}` };
    throw new ServiceCallError(service, answer.status, e.code, e.message);
  }
  return parsed;
}
