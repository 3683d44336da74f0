/**
 * A small HTTP(S) server for the services: routes with `:name` parameters, JSON or raw bodies with a
 * size limit, typed refusals (ServiceError) answered as JSON, anything else logged as a 500 without its
 * details leaving the process. No framework: each service is a list of routes.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ServiceError, badRequest } from './errors.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RequestContext {
  readonly method: Method;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  /** The body parsed as JSON (a 400 when it is not). */
  json(): unknown;
  /** The peer's address, for rate limits. */
  readonly remoteAddress: string;
}

export interface Reply {
  readonly status?: number;
  /** Sent as application/json. */
  readonly json?: unknown;
  /** Sent as is, with `contentType`. */
  readonly body?: Uint8Array;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Route {
  readonly method: Method;
  /** `/applications/:id/status` */
  readonly path: string;
  readonly handler: (request: RequestContext) => Promise<Reply>;
}

export interface ServiceOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** PEM certificate and key: serve HTTPS. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  readonly maxBodyBytes?: number;
  /** Where unexpected errors are reported (default stderr); never sent to the client. */
  readonly onInternalError?: (error: unknown, request: string) => void;
}

export interface RunningService {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

interface CompiledRoute {
  readonly route: Route;
  readonly pattern: RegExp;
  readonly names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:([a-zA-Z]+)/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}$`), names };
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new ServiceError(413, 'body-too-large', `request body over ${limit} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, reply: Reply): void {
  const status = reply.status ?? 200;
  const headers: Record<string, string> = { 'cache-control': 'no-store', ...(reply.headers ?? {}) };
  if (reply.json !== undefined) {
    const body = Buffer.from(JSON.stringify(reply.json));
    response.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': String(body.length) });
    response.end(body);
  } else if (reply.body !== undefined) {
    response.writeHead(status, {
      ...headers,
      'content-type': reply.contentType ?? 'application/octet-stream',
      'content-length': String(reply.body.length),
    });
    response.end(reply.body);
  } else {
    response.writeHead(status, headers);
    response.end();
  }
}

/** Starts a service on loopback (by default) and resolves once it listens. */
export async function startService(routes: readonly Route[], options: ServiceOptions = {}): Promise<RunningService> {
  const compiled = routes.map(compile);
  const limit = options.maxBodyBytes ?? 256 * 1024;
  const report =
    options.onInternalError ??
    ((error: unknown, request: string) =>
      process.stderr.write(`internal error on ${request}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`));
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://service');
    const method = (request.method ?? 'GET') as Method;
    const label = `${method} ${url.pathname}`;
    try {
      let pathMatched = false;
      for (const c of compiled) {
        const m = c.pattern.exec(url.pathname);
        if (!m) continue;
        pathMatched = true;
        if (c.route.method !== method) continue;
        const params: Record<string, string> = {};
        c.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1]!)));
        const body = await readBody(request, limit);
        const context: RequestContext = {
          method,
          path: url.pathname,
          params,
          query: url.searchParams,
          headers: request.headers,
          body,
          remoteAddress: request.socket.remoteAddress ?? '',
          json: () => {
            try {
              return JSON.parse(body.toString('utf8')) as unknown;
            } catch {
              throw badRequest('malformed-json', 'the request body is not JSON');
            }
          },
        };
        send(response, await c.route.handler(context));
        return;
      }
      throw pathMatched
        ? new ServiceError(405, 'method-not-allowed', `${label} is not allowed`)
        : new ServiceError(404, 'no-such-endpoint', `no endpoint ${url.pathname}`);
    } catch (error) {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      if (error instanceof ServiceError) {
        send(response, { status: error.status, json: { error: { code: error.code, message: error.message } } });
      } else {
        report(error, label);
        send(response, { status: 500, json: { error: { code: 'internal', message: 'internal error' } } });
      }
    }
  };
  const listener = (request: IncomingMessage, response: ServerResponse): void => void handle(request, response);
  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener) : createHttpServer(listener);
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = (options.host ?? '127.0.0.1').includes(':') ? `[${options.host}]` : (options.host ?? '127.0.0.1');
  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
