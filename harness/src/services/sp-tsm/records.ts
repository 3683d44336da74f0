/**
 * The SP-TSM's records of an application, each change in one transaction with its event: guarded state
 * transitions, and the remote sessions the device agent is given (a bearer token of which only the digest
 * is kept, the PIN sealed under it) and how they end.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { HarnessError } from '../../errors.js';
import type { Database } from '../db/database.js';
import type { ApplicationState, ApplicationsTable, SessionKind } from '../db/tables/sp-tsm.js';
import { DeviceAgentGoneError, type FlowOutcome } from '../remote-apdu/remote-card.js';
import { tokenDigest } from '../remote-apdu/sessions.js';
import { sealUnderToken } from './token-seal.js';

export interface WriteAuthorisation {
  readonly sessionId: string;
  readonly token: string;
  readonly remoteUrl: string;
  readonly expiresAt: string;
}

/** What the PIN sealed in a session row is bound to. */
export const PIN_PURPOSE = 'jpki-sim write session: first PIN';

/** Two certificate serials, as the same number (case and leading zero bytes aside). */
export const sameSerialDigits = (a: string, b: string): boolean => a.toUpperCase().replace(/^(00)+/, '') === b.toUpperCase().replace(/^(00)+/, '');

/** The application is not (or no longer) in a state where the session's work may run. */
export class ApplicationLocked extends HarnessError {
  readonly exitCode = 4;
}

type Transaction = Parameters<Parameters<ReturnType<Database['transaction']>['execute']>[0]>[0];

export class ApplicationRecords {
  constructor(
    private readonly db: Database,
    private readonly now: () => number,
    private readonly sessions: { readonly publicUrl: () => string; readonly lifetimeMs: number },
  ) {}

  async row(id: string): Promise<ApplicationsTable> {
    return this.db.selectFrom('sp_applications').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  }

  async event(applicationId: string, step: string, detail = ''): Promise<void> {
    await this.db.insertInto('sp_events').values({ application_id: applicationId, at: this.now(), step, detail }).execute();
  }

  /** One guarded transition: `from` → `to` with the other changes, and its event, in one transaction. */
  async transition(
    id: string,
    from: readonly ApplicationState[],
    to: ApplicationState,
    changes: Partial<ApplicationsTable>,
    step: string,
    detail = '',
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('sp_applications')
        .set({ ...changes, state: to, updated_at: this.now() })
        .where('id', '=', id)
        .where('state', 'in', from)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return false;
      await trx.insertInto('sp_events').values({ application_id: id, at: this.now(), step, detail }).execute();
      return true;
    });
  }

  /**
   * Inserts a remote session of `kind` in `trx`, with its event: a fresh bearer token (only its digest is
   * kept) and the PIN, if any, sealed under it. Answers what the device agent is given.
   */
  async insertSession(
    trx: Transaction,
    applicationId: string,
    kind: SessionKind,
    step: string,
    extra: { pin?: string; issuanceId?: string } = {},
  ): Promise<WriteAuthorisation> {
    const token = randomBytes(32).toString('base64url');
    const sessionId = randomUUID();
    const expiresAt = this.now() + this.sessions.lifetimeMs;
    await trx
      .insertInto('sp_write_sessions')
      .values({
        id: sessionId,
        application_id: applicationId,
        token_hash: tokenDigest(token),
        created_at: this.now(),
        expires_at: expiresAt,
        state: 'open',
        kind,
        pin_sealed: extra.pin === undefined ? '' : sealUnderToken(token, PIN_PURPOSE, extra.pin),
        issuance_id: extra.issuanceId ?? null,
      })
      .execute();
    await trx
      .insertInto('sp_events')
      .values({ application_id: applicationId, at: this.now(), step, detail: `session ${sessionId}` })
      .execute();
    return { sessionId, token, remoteUrl: `${this.sessions.publicUrl()}/remote/${sessionId}`, expiresAt: new Date(expiresAt).toISOString() };
  }

  /** A remote session of `kind` in a transaction of its own. */
  async openSession(
    applicationId: string,
    kind: SessionKind,
    step: string,
    extra: { pin?: string; issuanceId?: string } = {},
  ): Promise<WriteAuthorisation> {
    return this.db.transaction().execute((trx) => this.insertSession(trx, applicationId, kind, step, extra));
  }

  /** Ends a remote session: `done`, and the application's own changes with their event, in one transaction. */
  async finishSession(
    sessionId: string,
    applicationId: string,
    step: string,
    detail: string,
    changes: Partial<ApplicationsTable> = {},
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('sp_write_sessions').set({ state: 'done' }).where('id', '=', sessionId).execute();
      if (Object.keys(changes).length > 0) {
        await trx
          .updateTable('sp_applications')
          .set({ ...changes, updated_at: this.now() })
          .where('id', '=', applicationId)
          .execute();
      }
      await trx.insertInto('sp_events').values({ application_id: applicationId, at: this.now(), step, detail }).execute();
    });
  }

  async failSession(sessionId: string): Promise<void> {
    await this.db.updateTable('sp_write_sessions').set({ state: 'failed' }).where('id', '=', sessionId).execute();
  }

  /**
   * Runs one session's work: the session is `running` meanwhile; an agent that went away may come back to
   * the same session, any other failure ends it (`onFailure` says what else that means).
   */
  async runSession(
    sessionId: string,
    applicationId: string,
    what: string,
    work: () => Promise<FlowOutcome>,
    onFailure: () => Promise<void> = () => this.failSession(sessionId),
  ): Promise<FlowOutcome> {
    await this.db
      .updateTable('sp_write_sessions')
      .set({ state: 'running' })
      .where('id', '=', sessionId)
      .where('state', 'in', ['open', 'running'])
      .execute();
    try {
      return await work();
    } catch (error) {
      await this.event(applicationId, `${what} interrupted`, error instanceof Error ? error.message : 'failed');
      if (!(error instanceof DeviceAgentGoneError)) await onFailure();
      throw error;
    }
  }
}
