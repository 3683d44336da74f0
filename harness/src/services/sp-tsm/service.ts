/**
 * The SP-TSM as a service: it takes signed applications (②–⑤), has the JPKI system issue (⑥–⑨),
 * sends the access code out of band (⑪), authenticates the write with access code and password (⑫–⑬),
 * and runs the write on the designated SIM through the device agent (⑭–⑱). Every transition of an
 * application is one row update in one transaction, guarded by the state it leaves, and recorded as
 * an event; a restarted SP-TSM picks every application up where its row says it stands.
 */
import { randomUUID } from 'node:crypto';
import { verifyCardAuthority } from '../../gp/card-authority.js';
import { cardName } from '../card-identity.js';
import type { ApplicationState, ApplicationsTable, SessionKind } from '../db/tables/sp-tsm.js';
import { badRequest, notFound, ServiceError } from '../http/errors.js';
import type { RequestContext, Route } from '../http/server.js';
import type { FlowOutcome, RemoteCard } from '../remote-apdu/remote-card.js';
import { RemoteSessions, tokenDigest } from '../remote-apdu/sessions.js';
import { Admission, threadPoolSize } from './admission.js';
import { AfterIssuance } from './after-issuance.js';
import { checkApplication, type CheckedApplication } from './application.js';
import type { SpTsmConfig } from './config.js';
import { applicationOperator, domainColumns, mnoPort, recordedDomain, type MnoEndpoint } from './operators.js';
import { accessCodeDigest, hashPassword, newAccessCode, passwordProblem, PASSWORD_HASH_PARAMETERS, sameDigest, verifyPassword } from './passwords.js';
import { AddressRateLimit } from './rate-limit.js';
import { ApplicationLocked, ApplicationRecords, PIN_PURPOSE, type WriteAuthorisation } from './records.js';
import { openUnderToken } from './token-seal.js';
import { runWrite } from './write-flow.js';

export type { SpTsmConfig } from './config.js';
export type { WriteAuthorisation } from './records.js';

export interface ApplicationStatus {
  readonly id: string;
  readonly state: ApplicationState;
  readonly keyGeneration: string;
  readonly keyFingerprint?: string;
  /** A transfer: the application this one took the credential over from. */
  readonly replaces?: string;
  /** When the applet on the SIM was terminated (after revocation or transfer). */
  readonly terminatedAt?: string;
  readonly events: readonly { at: string; step: string; detail: string }[];
}

/** The PIN of the write request: four digits. */
function pinProblem(pin: unknown, policy: string): string | undefined {
  if (typeof pin !== 'string' || !/^\d{4}$/.test(pin))
    return policy === 'pin-less'
      ? 'a PIN of four digits is still needed (it guards the credential when PIN-less use is turned off)'
      : 'the PIN must be four digits';
  return undefined;
}

export class SpTsm {
  private readonly sessions: RemoteSessions;
  private readonly now: () => number;
  private readonly records: ApplicationRecords;
  private readonly rateLimit: AddressRateLimit;
  private readonly afterIssuance: AfterIssuance;
  private readonly admission: Admission;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly config: SpTsmConfig) {
    this.now = config.now ?? Date.now;
    this.records = new ApplicationRecords(config.db, this.now, {
      publicUrl: config.publicUrl,
      lifetimeMs: config.writeSessionLifetimeMs ?? 15 * 60_000,
    });
    this.rateLimit = new AddressRateLimit(config.attemptsPerMinute ?? 20, this.now);
    this.afterIssuance = new AfterIssuance(config, this.records, this.rateLimit, this.now);
    this.admission = new Admission(config.applicationConcurrency ?? threadPoolSize());
    this.sessions = new RemoteSessions({ resolve: (id, token) => this.flowFor(id, token) }, config.idleTimeoutMs);
  }

  routes(): Route[] {
    return [
      { method: 'POST', path: '/applications', handler: (r) => this.apply(r) },
      { method: 'GET', path: '/applications/:id', handler: async (r) => ({ json: await this.status(r.params.id!) }) },
      { method: 'POST', path: '/applications/:id/write-sessions', handler: async (r) => ({ status: 201, json: await this.authoriseWrite(r) }) },
      { method: 'POST', path: '/applications/:id/revocation', handler: async (r) => ({ json: await this.afterIssuance.revoke(r) }) },
      {
        method: 'POST',
        path: '/applications/:id/pin-resets',
        handler: async (r) => ({ status: 201, json: await this.afterIssuance.authorisePinReset(r) }),
      },
      {
        method: 'POST',
        path: '/applications/:id/renewals',
        handler: async (r) => ({ status: 201, json: await this.afterIssuance.authoriseRenewal(r) }),
      },
      this.sessions.route('/remote'),
    ];
  }

  /** Picks up what a previous process left: applications still without an access code, expired write sessions. */
  async recover(): Promise<void> {
    const pending = await this.config.db.selectFrom('sp_applications').select('id').where('state', '=', 'received').execute();
    for (const { id } of pending) await this.advance(id);
    await this.expireWriteSessions();
    this.sweeper = setInterval(() => void this.expireWriteSessions().catch(() => undefined), 30_000);
    this.sweeper.unref();
  }

  close(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sessions.close();
  }

  // ---- ② – ⑤: the application -------------------------------------------------------------------

  private async apply(r: RequestContext): Promise<{ status: number; json: unknown }> {
    const application = checkApplication(r.json(), new Date(this.now()));
    const known = await this.knownApplication(application.digest);
    if (known) return known;
    const problem = passwordProblem(application.password);
    if (problem) throw new ServiceError(422, 'weak-password', problem);
    const operator = application.document.operator ?? this.defaultOperator;
    if (!Object.hasOwn(this.config.mno, operator)) {
      throw new ServiceError(422, 'unknown-operator', `this SP-TSM works with no operator named ${operator}`);
    }
    let sim: { name: string; identity: string };
    try {
      const identity = verifyCardAuthority(application.simCertificate, this.config.cardAuthorityRoot).cardIdentity.serialNumber;
      sim = { name: cardName(application.simCertificate), identity };
    } catch (e) {
      throw new ServiceError(
        422,
        'sim-certificate-invalid',
        `the designated SIM's card authority certificate does not check: ${(e as Error).message}`,
      );
    }
    const replaced = application.document.replaces === undefined ? undefined : await this.afterIssuance.replaceable(application, sim.name);
    // The costly part in arrival order, a few at a time; the same application sent twice is found once its first copy is in.
    return this.admission.run(async () => (await this.knownApplication(application.digest)) ?? this.register(application, sim, operator, replaced));
  }

  private async knownApplication(digest: string): Promise<{ status: number; json: unknown } | undefined> {
    const existing = await this.config.db
      .selectFrom('sp_applications')
      .select(['id', 'state'])
      .where('application_digest', '=', digest)
      .executeTakeFirst();
    return existing ? { status: 200, json: { id: existing.id, state: existing.state, duplicate: true } } : undefined;
  }

  private async register(
    application: CheckedApplication,
    sim: { name: string; identity: string },
    operator: string,
    replaced: ApplicationsTable | undefined,
  ): Promise<{ status: number; json: unknown }> {
    const { db } = this.config;
    // ③ The JPKI system says whether the signature certificate is valid (chain, period, revocation).
    const status = await this.config.jpki.checkSignatureCertificate(application.signerDer);
    if (!status.valid)
      throw new ServiceError(403, 'signature-certificate-invalid', `the signature certificate is not valid: ${status.reason ?? 'refused'}`);
    const passwordHash = await hashPassword(application.password, this.config.passwordHashParameters ?? PASSWORD_HASH_PARAMETERS);
    // A transfer revokes the old certificate first: a crash before the new application is stored leaves the
    // old credential ended (safe) and the applicant sends the same application again.
    const replacedSerial = replaced?.issuance_id ? await this.config.jpki.issuedCertificateSerial(replaced.issuance_id) : undefined;
    if (replacedSerial) await this.config.jpki.revokeCertificate(replacedSerial, 'superseded');
    const id = randomUUID();
    const now = this.now();
    const row: ApplicationsTable = {
      id,
      application_digest: application.digest,
      created_at: now,
      updated_at: now,
      state: 'received',
      signer_serial: status.serial,
      signer_subject: status.subject,
      signer_certificate: Buffer.from(application.signerDer).toString('base64'),
      designated_card: sim.name,
      designated_card_identity: sim.identity,
      key_generation: application.document.keyGeneration,
      pin_policy: application.document.pinPolicy,
      password_hash: passwordHash,
      access_code_hash: null,
      access_code_expires_at: null,
      failed_attempts: 0,
      contact: application.document.contact,
      issuance_id: null,
      key_fingerprint: null,
      replaces: application.document.replaces ?? null,
      terminated_at: null,
      operator,
      domain_scp: null,
      domain_i: null,
      domain_key_version: null,
    };
    try {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('sp_applications').values(row).execute();
        await trx
          .insertInto('sp_events')
          .values({ application_id: id, at: now, step: 'application received', detail: `signer ${status.serial}` })
          .execute();
        if (replaced) {
          const moved = await trx
            .updateTable('sp_applications')
            .set({ state: 'transferred', access_code_hash: null, updated_at: now })
            .where('id', '=', replaced.id)
            .where('state', 'in', AfterIssuance.TRANSFERABLE)
            .executeTakeFirst();
          if (Number(moved.numUpdatedRows) !== 1)
            throw new ServiceError(409, 'already-transferred', 'this credential was moved to another SIM already');
          const detail = `to application ${id}${replacedSerial ? `; certificate ${replacedSerial} superseded` : ''}`;
          await trx.insertInto('sp_events').values({ application_id: replaced.id, at: now, step: 'transferred', detail }).execute();
          await trx.insertInto('sp_events').values({ application_id: id, at: now, step: 'transfer from', detail: replaced.id }).execute();
        }
      });
    } catch (error) {
      if (error instanceof ServiceError) throw error;
      // The same application arriving twice at once: the unique digest lets one in.
      const winner = await db
        .selectFrom('sp_applications')
        .select(['id', 'state'])
        .where('application_digest', '=', application.digest)
        .executeTakeFirst();
      if (winner) return { status: 200, json: { id: winner.id, state: winner.state, duplicate: true } };
      throw error;
    }
    await this.advance(id);
    const after = await db.selectFrom('sp_applications').select('state').where('id', '=', id).executeTakeFirstOrThrow();
    // The old SIM, if the agent still reaches it, erases the moved credential.
    const termination = replaced ? await this.afterIssuance.terminationFor({ ...replaced, state: 'transferred' }) : undefined;
    return { status: 201, json: { id, state: after.state, ...(termination ? { termination } : {}) } };
  }

  /** ⑥–⑨ and ⑪ for an application in 'received': the issuance at the JPKI system, then the access code. */
  private async advance(id: string): Promise<void> {
    const { db } = this.config;
    const row = await db.selectFrom('sp_applications').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || row.state !== 'received') return;
    let issuanceId = row.issuance_id;
    if (issuanceId === null) {
      const issuance = await this.config.jpki.requestIssuance({
        requestRef: id,
        signatureSerial: row.signer_serial,
        keyGeneration: row.key_generation,
      });
      const issued = issuance.id;
      issuanceId = issued;
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('sp_applications').set({ issuance_id: issued, updated_at: this.now() }).where('id', '=', id).execute();
        const step =
          row.key_generation === 'jpki-system' ? 'key and certificate issued by the JPKI system' : 'issuance registered at the JPKI system';
        await trx.insertInto('sp_events').values({ application_id: id, at: this.now(), step, detail: issued }).execute();
      });
    }
    await this.sendAccessCode(row, ['received']);
  }

  /** Delivers a new access code (mailbox first, synced), then records it: a crash in between only costs a resend. */
  private async sendAccessCode(row: ApplicationsTable, from: readonly ApplicationState[]): Promise<void> {
    const code = newAccessCode();
    const expiresAt = this.now() + (this.config.accessCodeLifetimeMs ?? 24 * 3600_000);
    this.config.mailbox.deliver(row.contact, row.id, code, new Date(expiresAt));
    await this.records.transition(
      row.id,
      from,
      'awaiting-write',
      { access_code_hash: accessCodeDigest(code), access_code_expires_at: expiresAt },
      'access code sent',
      `to ${row.contact}`,
    );
  }

  private async status(id: string): Promise<ApplicationStatus> {
    if (!/^[0-9a-f-]{36}$/.test(id)) throw notFound('application');
    const { db } = this.config;
    const row = await db
      .selectFrom('sp_applications')
      .select(['id', 'state', 'key_generation', 'key_fingerprint', 'replaces', 'terminated_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound('application');
    const events = await db.selectFrom('sp_events').select(['at', 'step', 'detail']).where('application_id', '=', id).orderBy('id').execute();
    return {
      id: row.id,
      state: row.state,
      keyGeneration: row.key_generation,
      ...(row.key_fingerprint ? { keyFingerprint: row.key_fingerprint } : {}),
      ...(row.replaces ? { replaces: row.replaces } : {}),
      ...(row.terminated_at !== null ? { terminatedAt: new Date(row.terminated_at).toISOString() } : {}),
      events: events.map((e) => ({ at: new Date(e.at).toISOString(), step: e.step, detail: e.detail })),
    };
  }

  // ---- ⑫ – ⑬: the write, authorised by access code and password --------------------------------

  /**
   * Counts one failed write authorisation and locks the application at `limit`. The count goes up in the
   * database, never from a value read earlier: guesses sent all at once are each counted. Answers the
   * count, or undefined when the application no longer awaits its write (locked meanwhile).
   */
  private async countFailure(id: string, limit: number): Promise<number | undefined> {
    return this.config.db.transaction().execute(async (trx) => {
      const counted = await trx
        .updateTable('sp_applications')
        .set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1), updated_at: this.now() }))
        .where('id', '=', id)
        .where('state', '=', 'awaiting-write')
        .executeTakeFirst();
      if (Number(counted.numUpdatedRows) !== 1) return undefined;
      const { failed_attempts: failures } = await trx
        .selectFrom('sp_applications')
        .select('failed_attempts')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      if (failures >= limit) {
        await trx
          .updateTable('sp_applications')
          .set({ state: 'locked', access_code_hash: null, updated_at: this.now() })
          .where('id', '=', id)
          .execute();
        await trx
          .insertInto('sp_events')
          .values({ application_id: id, at: this.now(), step: 'locked', detail: `${failures} failed write authorisations` })
          .execute();
      } else {
        await trx
          .insertInto('sp_events')
          .values({ application_id: id, at: this.now(), step: 'write authorisation refused', detail: `${failures} of ${limit}` })
          .execute();
      }
      return failures;
    });
  }

  private async authoriseWrite(r: RequestContext): Promise<WriteAuthorisation> {
    this.rateLimit.take(r.remoteAddress);
    const id = r.params.id!;
    const body = r.json() as { accessCode?: unknown; password?: unknown; pin?: unknown };
    if (typeof body.accessCode !== 'string' || typeof body.password !== 'string')
      throw badRequest('malformed-request', 'accessCode and password are required');
    const { db } = this.config;
    const row = await db.selectFrom('sp_applications').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('application');
    if (row.state === 'locked') throw new ServiceError(423, 'locked', 'this application is locked after too many failed attempts: apply again');
    if (row.state === 'writing') throw new ServiceError(409, 'write-in-progress', 'a write session for this application is running');
    if (row.state !== 'awaiting-write' || row.access_code_hash === null)
      throw new ServiceError(409, 'not-awaiting-write', `the application is ${row.state}`);
    // Both secrets are checked every time (no early answer that tells which one was wrong).
    const codeOk = sameDigest(accessCodeDigest(body.accessCode), row.access_code_hash);
    const passwordOk = await verifyPassword(body.password, row.password_hash);
    const expired = (row.access_code_expires_at ?? 0) < this.now();
    if (!codeOk || !passwordOk || expired) {
      const limit = this.config.maxFailedAttempts ?? 5;
      const failures = await this.countFailure(id, limit);
      const locked = new ServiceError(423, 'locked', 'too many failed attempts: the application is locked');
      if (failures === undefined) {
        // Another request moved the application on meanwhile: locked by other guesses, or being written.
        const current = await db.selectFrom('sp_applications').select('state').where('id', '=', id).executeTakeFirst();
        if (current?.state === 'locked') throw locked;
        throw new ServiceError(403, 'wrong-credentials', 'access code or password wrong');
      }
      if (failures >= limit) throw locked;
      if (expired && codeOk && passwordOk) throw new ServiceError(403, 'access-code-expired', 'the access code has expired');
      throw new ServiceError(403, 'wrong-credentials', `access code or password wrong (${limit - failures} attempts left)`);
    }
    const pinIssue = pinProblem(body.pin, row.pin_policy);
    if (pinIssue) throw badRequest('bad-pin', pinIssue);
    const authorisation = await db.transaction().execute(async (trx) => {
      const u = await trx
        .updateTable('sp_applications')
        .set({ state: 'writing', access_code_hash: null, failed_attempts: 0, updated_at: this.now() })
        .where('id', '=', id)
        .where('state', '=', 'awaiting-write')
        .where('access_code_hash', '=', row.access_code_hash)
        .executeTakeFirst();
      if (Number(u.numUpdatedRows) !== 1) return undefined;
      return this.records.insertSession(trx, id, 'write', 'write authorised', { pin: body.pin as string });
    });
    if (!authorisation) throw new ServiceError(409, 'access-code-used', 'the access code was used by another request at the same time');
    return authorisation;
  }

  // ---- ⑭ – ⑱: the write on the SIM ----------------------------------------------------------------

  private async flowFor(sessionId: string, token: string): Promise<((card: RemoteCard) => Promise<FlowOutcome>) | null> {
    const { db } = this.config;
    const session = await db.selectFrom('sp_write_sessions').selectAll().where('id', '=', sessionId).executeTakeFirst();
    if (!session || !sameDigest(session.token_hash, tokenDigest(token))) return null;
    if (session.state === 'failed' || session.expires_at < this.now()) return null;
    const { id, application_id: applicationId } = session;
    // Finished, but its last answer may never have reached the agent (the SP-TSM went down right after the
    // commit): the agent asks again and gets the same outcome, and not one command goes to the card.
    if (session.state === 'done') return () => this.finishedOutcome(session.kind, applicationId);
    if (session.kind === 'termination') return (card) => this.afterIssuance.terminate(id, applicationId, card);
    if (session.kind === 'renewal') {
      const issuanceId = session.issuance_id;
      return issuanceId === null ? null : (card) => this.afterIssuance.renew(id, applicationId, issuanceId, card);
    }
    const pin = openUnderToken(token, PIN_PURPOSE, session.pin_sealed);
    if (pin === undefined) return null;
    return session.kind === 'pin-reset'
      ? (card) => this.afterIssuance.resetPin(id, applicationId, pin, card)
      : (card) => this.write(id, applicationId, pin, card);
  }

  /** What a finished session of `kind` ended in, as its flow answered it. */
  private async finishedOutcome(kind: SessionKind, applicationId: string): Promise<FlowOutcome> {
    const row = await this.records.row(applicationId);
    const outcome = { write: 'personalised', 'pin-reset': 'pin-reset', renewal: 'renewed', termination: 'terminated' }[kind];
    const detail: Record<string, string> = { application: applicationId };
    if ((kind === 'write' || kind === 'renewal') && row.key_fingerprint) detail.keyFingerprint = row.key_fingerprint;
    return { outcome, detail };
  }

  private get defaultOperator(): string {
    return this.config.defaultOperator ?? Object.keys(this.config.mno)[0] ?? '';
  }

  /** The MNO-TSM of the application's operator. */
  private mnoFor(row: ApplicationsTable): MnoEndpoint {
    const operator = applicationOperator(row, this.defaultOperator);
    const endpoint = Object.hasOwn(this.config.mno, operator) ? this.config.mno[operator] : undefined;
    if (!endpoint) throw new ApplicationLocked(`this SP-TSM no longer works with the operator ${operator}`);
    return endpoint;
  }

  private async write(sessionId: string, applicationId: string, pin: string, card: RemoteCard): Promise<FlowOutcome> {
    const { db } = this.config;
    const row = await this.records.row(applicationId);
    const issuanceId = row.issuance_id;
    if (row.state !== 'writing' || issuanceId === null) throw new ApplicationLocked(`the application is ${row.state}`);
    // A write that fails for good gives the applicant a new access code (failWrite); a vanished agent may come back.
    const failed = (): Promise<void> => this.failWrite(sessionId, applicationId);
    return this.records.runSession(
      sessionId,
      applicationId,
      'write',
      async () => {
        const domain = recordedDomain(row);
        const result = await runWrite(
          card,
          {
            applicationId,
            designatedCard: row.designated_card,
            keyGeneration: row.key_generation,
            pinPolicy: row.pin_policy,
            issuanceId,
            pin,
            ...(domain ? { domain } : {}),
          },
          {
            keys: this.config.keys,
            cardAuthorityRoot: this.config.cardAuthorityRoot,
            jpki: this.config.jpki,
            mno: mnoPort(this.mnoFor(row)),
            record: (step, detail) => this.records.event(applicationId, step, detail),
            rememberDomain: async (d) => {
              await db
                .updateTable('sp_applications')
                .set({ ...domainColumns(d), updated_at: this.now() })
                .where('id', '=', applicationId)
                .execute();
            },
          },
        );
        card.step('reporting to the JPKI system');
        await this.config.jpki.markDelivered(issuanceId, row.designated_card);
        await db.transaction().execute(async (trx) => {
          await trx.updateTable('sp_write_sessions').set({ state: 'done' }).where('id', '=', sessionId).execute();
          await trx
            .updateTable('sp_applications')
            .set({ state: 'personalised', key_fingerprint: result.keyFingerprint, updated_at: this.now() })
            .where('id', '=', applicationId)
            .execute();
          await trx
            .insertInto('sp_events')
            .values({ application_id: applicationId, at: this.now(), step: 'delivered', detail: `key ${result.keyFingerprint.slice(0, 16)}…` })
            .execute();
        });
        return { outcome: 'personalised', detail: { application: applicationId, keyFingerprint: result.keyFingerprint } };
      },
      failed,
    );
  }

  /** A write that cannot go on: the session ends, and the applicant gets a new access code to try again. */
  private async failWrite(sessionId: string, applicationId: string): Promise<void> {
    const { db } = this.config;
    await db.updateTable('sp_write_sessions').set({ state: 'failed' }).where('id', '=', sessionId).execute();
    const row = await db.selectFrom('sp_applications').selectAll().where('id', '=', applicationId).executeTakeFirst();
    if (row?.state === 'writing') await this.sendAccessCode(row, ['writing']);
  }

  private async expireWriteSessions(): Promise<void> {
    const { db } = this.config;
    const stale = await db
      .selectFrom('sp_write_sessions')
      .select(['id', 'application_id'])
      .where('state', 'in', ['open', 'running'])
      .where('expires_at', '<', this.now())
      .execute();
    for (const s of stale) await this.failWrite(s.id, s.application_id);
  }
}
