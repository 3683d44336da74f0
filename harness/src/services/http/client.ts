/** Calls another service's JSON API; a refusal becomes a ServiceCallError with the service's code. */
import { ServiceCallError } from './errors.js';

export interface CallOptions {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

function errorOf(value: unknown): { code: string; message: string } | undefined {
  if (typeof value !== 'object' || value === null || !('error' in value)) return undefined;
  const e = value.error;
  if (typeof e !== 'object' || e === null) return undefined;
  const { code, message } = e as { code?: unknown; message?: unknown };
  return { code: typeof code === 'string' ? code : 'unknown', message: typeof message === 'string' ? message : 'refused' };
}

/** A JSON request to `url`; resolves with the parsed answer on 2xx. */
export async function callJson(service: string, url: string, options: CallOptions = {}): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...(options.headers ?? {}) },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : 'network error';
    throw new ServiceCallError(service, 0, 'unreachable', `cannot reach ${new URL(url).origin} (${cause})`);
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text !== '') {
    try {
      parsed = JSON.parse(text) as unknown;
    } catch {
      throw new ServiceCallError(service, response.status, 'malformed-answer', `answered ${response.status} with a body that is not JSON`);
    }
  }
  if (!response.ok) {
    const e = errorOf(parsed) ?? { code: 'http-' + String(response.status), message: `answered ${response.status}` };
    throw new ServiceCallError(service, response.status, e.code, e.message);
  }
  return parsed;
}
