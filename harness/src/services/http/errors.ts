import { HarnessError } from '../../errors.js';

/**
 * A refusal a service answers with: an HTTP status, a stable machine-readable code and a message for
 * people. Thrown by handlers; the server turns it into `{ error: { code, message } }`.
 */
export class ServiceError extends HarnessError {
  readonly exitCode = 4;
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A service answered with an error, as seen by its client; carries the same code. */
export class ServiceCallError extends HarnessError {
  readonly exitCode = 4;
  constructor(
    readonly service: string,
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(status === 0 ? `${service}: ${message}` : `${service}: ${message} (${code}, HTTP ${status})`);
  }
}

export const badRequest = (code: string, message: string): ServiceError => new ServiceError(400, code, message);
export const notFound = (what: string): ServiceError => new ServiceError(404, 'not-found', `${what} not found`);
export const conflict = (code: string, message: string): ServiceError => new ServiceError(409, code, message);
