/**
 * The remote-APDU endpoint of a TSM: `POST <prefix>/:session` with a bearer token. The TSM says which
 * flow a session runs (and whether the token is good); the sessions live in memory while they run. A
 * report for a session this process does not know — the TSM restarted — starts the flow again from the
 * card's state, which every flow here is written to resume from.
 */
import { createHash } from 'node:crypto';
import { ServiceError } from '../http/errors.js';
import type { Route } from '../http/server.js';
import { parseAgentReport } from './protocol.js';
import { RemoteSession, type FlowOutcome, type RemoteCard } from './remote-card.js';

export interface SessionLookup {
  /** The flow for this session if the token is good; null for an unknown session or a bad token. */
  resolve(sessionId: string, token: string): Promise<((card: RemoteCard) => Promise<FlowOutcome>) | null>;
}

export const tokenDigest = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

function bearer(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  const m = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(value ?? '');
  if (!m) throw new ServiceError(401, 'unauthenticated', 'a bearer token is required');
  return m[1]!;
}

export class RemoteSessions {
  private readonly running = new Map<string, { session: RemoteSession; tokenHash: string }>();

  constructor(
    private readonly lookup: SessionLookup,
    private readonly idleTimeoutMs = 30_000,
  ) {}

  route(prefix: string): Route {
    return {
      method: 'POST',
      path: `${prefix}/:session`,
      handler: async (request) => {
        const token = bearer(request.headers.authorization);
        const report = parseAgentReport(request.json());
        const id = request.params.session!;
        let entry = this.running.get(id);
        if (entry && entry.tokenHash !== tokenDigest(token)) {
          // A token the TSM issued since (a renewed request) replaces the session; any other is refused.
          if (!(await this.lookup.resolve(id, token))) throw new ServiceError(401, 'unauthenticated', 'wrong token for this session');
          entry.session.abandon('a newer session replaced this one');
          this.running.delete(id);
          entry = undefined;
        }
        if (entry && report.acknowledges === null && !entry.session.done) {
          // The agent started over (it was restarted, or the phone reconnected): the old flow ends
          // and a new one resumes from the card's state.
          entry.session.abandon('the device agent started over');
          this.running.delete(id);
          entry = undefined;
        }
        if (!entry) {
          const flow = await this.lookup.resolve(id, token);
          if (!flow) throw new ServiceError(404, 'no-such-session', 'no such remote session, or it has ended');
          const session = new RemoteSession(id, flow, { idleTimeoutMs: this.idleTimeoutMs, restarted: report.acknowledges !== null });
          entry = { session, tokenHash: tokenDigest(token) };
          this.running.set(id, entry);
        }
        const instruction = await entry.session.handle(report);
        if (entry.session.done) {
          // Keep the finished session a while: its last answer may be asked for again.
          const finished = entry;
          setTimeout(() => {
            if (this.running.get(id) === finished) this.running.delete(id);
          }, 60_000).unref();
        }
        return { json: instruction };
      },
    };
  }

  /** Ends every running flow (service shutdown). */
  close(): void {
    for (const { session } of this.running.values()) session.abandon('the service is shutting down');
    this.running.clear();
  }
}
