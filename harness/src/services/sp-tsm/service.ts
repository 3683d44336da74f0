/**
 * The SP-TSM as a service: it takes signed applications (②–⑤), has the JPKI system issue (⑥–⑨),
 * sends the access code out of band (⑪), authenticates the write with access code and password (⑫–⑬),
 * and runs the write on the designated SIM through the device agent (⑭–⑱). Every transition of an
 * application is one row update in one transaction, guarded by the state it leaves, and recorded as
 * an event; a restarted SP-TSM picks every application up where its row says it stands.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { verifyCardAuthority } from '../../gp/card-authority.js';
import { HarnessError } from '../../errors.js';
import { cardName } from '../card-identity.js';
import type { Database } from '../db/database.js';
import { badRequest, notFound, ServiceError } from '../http/errors.js';
import type { RequestContext, Route } from '../http/server.js';
import { DeviceAgentGoneError, type FlowOutcome, type RemoteCard } from '../remote-apdu/remote-card.js';
import { RemoteSessions, tokenDigest } from '../remote-apdu/sessions.js';
import { Admission, threadPoolSize } from './admission.js';
import { checkApplication, type CheckedApplication } from './application.js';
import type { JpkiSystemPort } from './jpki-port.js';
import type { Mailbox } from './mailbox.js';
import { checkPinReset, checkRenewal, checkRevocation, REVOCATION_REASON } from './applicant-requests.js';
import { accessCodeDigest, hashPassword, newAccessCode, passwordProblem, PASSWORD_HASH_PARAMETERS, sameDigest, verifyPassword } from './passwords.js';
import type { ApplicationState, ApplicationsTable, SessionKind } from '../db/tables/sp-tsm.js';
import { openUnderToken, sealUnderToken } from './token-seal.js';
import { runPinReset, runRenewal, runTermination, runWrite, type SpKeys } from './write-flow.js';
import { applicationOperator, domainColumns, mnoPort, recordedDomain, type MnoEndpoint } from './operators.js';

export interface SpTsmConfig {
  readonly db: Database;
  readonly publicUrl: () => string;
  readonly mailbox: Mailbox;
  readonly jpki: JpkiSystemPort;
  /** Each mobile operator's MNO-TSM, by operator name: an application names the operator of its SIM. */
  readonly mno: Readonly<Record<string, MnoEndpoint>>;
  /** The operator of applications that name none (callers from before operators); default: the first in `mno`. */
  readonly defaultOperator?: string;
  readonly keys: SpKeys;
  readonly cardAuthorityRoot: Uint8Array;
  readonly now?: () => number;
  readonly accessCodeLifetimeMs?: number;
  readonly writeSessionLifetimeMs?: number;
  /** Failed write authorisations before the application locks (default 5). */
  readonly maxFailedAttempts?: number;
  /** Write authorisations per client address per minute (default 20). */
  readonly attemptsPerMinute?: number;
  readonly idleTimeoutMs?: number;
  readonly passwordHashParameters?: { N: number; r: number; p: number };
  /** Applications checked, hashed and issued at once; the others queue in arrival order (default: libuv's thread pool size). */
  readonly applicationConcurrency?: number;
  /** PIN resets authorised per application in 24 hours (default 3): each one gives the PIN its tries back. */
  readonly pinResetsPerDay?: number;
}

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

export interface WriteAuthorisation {
  readonly sessionId: string;
  readonly token: string;
  readonly remoteUrl: string;
  readonly expiresAt: string;
}

const PIN_PURPOSE = 'jpki-sim write session: first PIN';

/** Two certificate serials, as the same number (case and leading zero bytes aside). */
const sameSerialDigits = (a: string, b: string): boolean => a.toUpperCase().replace(/^(00)+/, '') === b.toUpperCase().replace(/^(00)+/, '');

/** The PIN of the write request: four digits. */
function pinProblem(pin: unknown, policy: string): string | undefined {
  if (typeof pin !== 'string' || !/^\d{4}$/.test(pin))
    return policy === 'pin-less'
      ? 'a PIN of four digits is still needed (it guards the credential when PIN-less use is turned off)'
      : 'the PIN must be four digits';
  return undefined;
}

class ApplicationLocked extends HarnessError {
  readonly exitCode = 4;
}

export class SpTsm {
  private readonly sessions: RemoteSessions;
  private readonly now: () => number;
  private readonly attempts = new Map<string, number[]>();
  private readonly admission: Admission;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly config: SpTsmConfig) {
    this.now = config.now ?? Date.now;
    this.admission = new Admission(config.applicationConcurrency ?? threadPoolSize());
    this.sessions = new RemoteSessions({ resolve: (id, token) => this.flowFor(id, token) }, config.idleTimeoutMs);
  }

  routes(): Route[] {
    return [
      { method: 'POST', path: '/applications', handler: (r) => this.apply(r) },
      { method: 'GET', path: '/applications/:id', handler: async (r) => ({ json: await this.status(r.params.id!) }) },
      { method: 'POST', path: '/applications/:id/write-sessions', handler: async (r) => ({ status: 201, json: await this.authoriseWrite(r) }) },
      { method: 'POST', path: '/applications/:id/revocation', handler: async (r) => ({ json: await this.revoke(r) }) },
      { method: 'POST', path: '/applications/:id/pin-resets', handler: async (r) => ({ status: 201, json: await this.authorisePinReset(r) }) },
      { method: 'POST', path: '/applications/:id/renewals', handler: async (r) => ({ status: 201, json: await this.authoriseRenewal(r) }) },
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

  private async event(applicationId: string, step: string, detail = ''): Promise<void> {
    await this.config.db.insertInto('sp_events').values({ application_id: applicationId, at: this.now(), step, detail }).execute();
  }

  /** One guarded transition: `from` → `to` with the other changes, and its event, in one transaction. */
  private async transition(
    id: string,
    from: readonly ApplicationState[],
    to: ApplicationState,
    changes: Partial<ApplicationsTable>,
    step: string,
    detail = '',
  ): Promise<boolean> {
    return this.config.db.transaction().execute(async (trx) => {
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
    const replaced = application.document.replaces === undefined ? undefined : await this.replaceable(application, sim.name);
    // The costly part in arrival order, a few at a time; the same application sent twice is found once its first copy is in.
    return this.admission.run(async () => (await this.knownApplication(application.digest)) ?? this.register(application, sim, operator, replaced));
  }

  /** States a credential can be transferred out of (it is, or was about to be, on its SIM, or was ended there). */
  private static readonly TRANSFERABLE: readonly ApplicationState[] = ['awaiting-write', 'locked', 'personalised', 'failed', 'revoked'];

  /**
   * A transfer names the application whose credential moves to the new SIM. Only its applicant (the same
   * signature certificate) can move it, once, and to another SIM.
   */
  private async replaceable(application: CheckedApplication, newCard: string): Promise<ApplicationsTable> {
    const old = await this.config.db.selectFrom('sp_applications').selectAll().where('id', '=', application.document.replaces!).executeTakeFirst();
    if (!old) throw new ServiceError(422, 'unknown-application', 'the application to transfer from does not exist');
    if (!sameSerialDigits(application.signer.serialNumber, old.signer_serial)) {
      // A renewed My Number card: the JPKI system links its certificate back to the one that applied.
      const status = await this.config.jpki.checkSignatureCertificate(application.signerDer);
      if (!(status.predecessors ?? []).some((p) => sameSerialDigits(p, old.signer_serial))) {
        throw new ServiceError(403, 'not-the-applicant', 'only the applicant of the application transferred from can move its credential');
      }
    }
    if (old.state === 'transferred') throw new ServiceError(409, 'already-transferred', 'this credential was moved to another SIM already');
    if (!SpTsm.TRANSFERABLE.includes(old.state)) throw new ServiceError(409, 'not-transferable', `the application transferred from is ${old.state}`);
    if (old.designated_card === newCard)
      throw new ServiceError(409, 'same-sim', 'a transfer goes to another SIM: for the same SIM, renew or reset the PIN');
    return old;
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
            .where('state', 'in', SpTsm.TRANSFERABLE)
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
    const termination = replaced ? await this.terminationFor({ ...replaced, state: 'transferred' }) : undefined;
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
    await this.transition(
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

  // ---- revocation by the applicant ---------------------------------------------------------------

  /**
   * The applicant ends the SIM credential: the request is signed by the same signature certificate as
   * the application (and that certificate is still valid at the JPKI system); the SIM certificate is
   * revoked there, then the application is marked revoked. When the credential reached a SIM, the answer
   * carries a termination session: a device agent that still holds the SIM runs it and the applet erases
   * the credential. Asking again answers the same (with a new termination session until it ran).
   */
  private async revoke(
    r: RequestContext,
  ): Promise<{ id: string; state: ApplicationState; revokedCertificate?: string; termination?: WriteAuthorisation }> {
    const request = checkRevocation(r.json(), new Date(this.now()));
    const row = await this.applicantsOwn(r.params.id!, request);
    const id = row.id;
    const serial = row.issuance_id === null ? undefined : await this.config.jpki.issuedCertificateSerial(row.issuance_id);
    if (row.state !== 'revoked' && row.state !== 'transferred') {
      if (serial) await this.config.jpki.revokeCertificate(serial, REVOCATION_REASON[request.ground]);
      const from: ApplicationState[] = ['received', 'awaiting-write', 'locked', 'writing', 'personalised', 'failed'];
      await this.transition(
        id,
        from,
        'revoked',
        { access_code_hash: null },
        'revoked',
        `${request.ground}${serial ? `: certificate ${serial}` : ''}`,
      );
    }
    const after = await this.config.db.selectFrom('sp_applications').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const termination = await this.terminationFor(after);
    return { id, state: after.state, ...(serial ? { revokedCertificate: serial } : {}), ...(termination ? { termination } : {}) };
  }

  /** A termination session for an ended credential that may still be on its SIM (none once the applet is terminated). */
  private async terminationFor(row: ApplicationsTable): Promise<WriteAuthorisation | undefined> {
    if (row.terminated_at !== null || row.key_fingerprint === null) return undefined;
    return this.openSession(row.id, 'termination', 'termination authorised');
  }

  /**
   * A remote session of `kind` for the device agent: a fresh bearer token (only its digest is kept), the
   * PIN (if any) sealed under it, and the event, in one transaction.
   */
  private async openSession(
    applicationId: string,
    kind: SessionKind,
    step: string,
    extra: { pin?: string; issuanceId?: string } = {},
  ): Promise<WriteAuthorisation> {
    const token = randomBytes(32).toString('base64url');
    const sessionId = randomUUID();
    const expiresAt = this.now() + (this.config.writeSessionLifetimeMs ?? 15 * 60_000);
    await this.config.db.transaction().execute(async (trx) => {
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
    });
    return { sessionId, token, remoteUrl: `${this.config.publicUrl()}/remote/${sessionId}`, expiresAt: new Date(expiresAt).toISOString() };
  }

  /**
   * The application a signed request after issuance is about, once its signer is the applicant again:
   * the same signature certificate as the application's, still valid at the JPKI system.
   */
  private async applicantsOwn(id: string, request: { application: string; signerSerial: string; signerDer: Uint8Array }): Promise<ApplicationsTable> {
    if (request.application !== id) throw badRequest('wrong-application', 'the request names another application');
    const row = await this.config.db.selectFrom('sp_applications').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('application');
    await this.reidentify(row, request);
    return row;
  }

  /**
   * The signer is the applicant again: the application's own signature certificate, or — after the My
   * Number card was renewed or re-issued — a certificate the JPKI system links back to it. Either must be
   * valid now. A linked successor becomes the application's signer from then on.
   */
  private async reidentify(row: ApplicationsTable, request: { signerSerial: string; signerDer: Uint8Array }): Promise<void> {
    const status = await this.config.jpki.checkSignatureCertificate(request.signerDer);
    const same = sameSerialDigits(request.signerSerial, row.signer_serial);
    const successor = !same && (status.predecessors ?? []).some((p) => sameSerialDigits(p, row.signer_serial));
    if (!same && !successor) throw new ServiceError(403, 'not-the-applicant', 'the request is not signed by the applicant of this application');
    if (!status.valid)
      throw new ServiceError(403, 'signature-certificate-invalid', `the signature certificate is not valid: ${status.reason ?? 'refused'}`);
    if (successor) {
      const changes = {
        signer_serial: status.serial,
        signer_subject: status.subject,
        signer_certificate: Buffer.from(request.signerDer).toString('base64'),
      };
      await this.config.db.transaction().execute(async (trx) => {
        await trx
          .updateTable('sp_applications')
          .set({ ...changes, updated_at: this.now() })
          .where('id', '=', row.id)
          .execute();
        const detail = `signature certificate ${row.signer_serial} → ${status.serial}`;
        await trx
          .insertInto('sp_events')
          .values({ application_id: row.id, at: this.now(), step: "the applicant's My Number card renewed", detail })
          .execute();
      });
      Object.assign(row, changes);
    }
  }

  /**
   * A PIN reset (forgotten or blocked PIN): the applicant re-identifies with the signature certificate and
   * gets a remote session in which the SP-TSM writes the new PIN, sealed, into the applet on the same SIM.
   * Each reset gives the PIN its tries back, so resets are counted: a few a day (`pinResetsPerDay`).
   */
  private async authorisePinReset(r: RequestContext): Promise<WriteAuthorisation> {
    this.rateLimit(r.remoteAddress);
    const request = checkPinReset(r.json(), new Date(this.now()));
    const row = await this.applicantsOwn(r.params.id!, request);
    if (row.state !== 'personalised') throw new ServiceError(409, 'not-personalised', `the application is ${row.state}`);
    if (typeof request.pin !== 'string' || !/^\d{4}$/.test(request.pin)) throw badRequest('bad-pin', 'the PIN must be four digits');
    const limit = this.config.pinResetsPerDay ?? 3;
    const recent = await this.config.db
      .selectFrom('sp_events')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('application_id', '=', row.id)
      .where('step', '=', 'PIN reset authorised')
      .where('at', '>', this.now() - 24 * 3600_000)
      .executeTakeFirstOrThrow();
    if (Number(recent.n) >= limit) throw new ServiceError(429, 'too-many-pin-resets', `${limit} PIN resets in 24 hours already: try again tomorrow`);
    return this.openSession(row.id, 'pin-reset', 'PIN reset authorised', { pin: request.pin });
  }

  /**
   * A renewal (the credential nears its end): the applicant re-identifies; the JPKI system issues the new
   * certificate (one issuance per renewal, found again if asked twice) and the agent's session writes the
   * new key and certificate on the same SIM. The old certificate is revoked (superseded) once the new one
   * is on the SIM.
   */
  private async authoriseRenewal(r: RequestContext): Promise<WriteAuthorisation> {
    this.rateLimit(r.remoteAddress);
    const request = checkRenewal(r.json(), new Date(this.now()));
    const row = await this.applicantsOwn(r.params.id!, request);
    if (row.state !== 'personalised') throw new ServiceError(409, 'not-personalised', `the application is ${row.state}`);
    const renewed = await this.config.db
      .selectFrom('sp_events')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('application_id', '=', row.id)
      .where('step', '=', 'renewed')
      .executeTakeFirstOrThrow();
    const issuance = await this.config.jpki.requestIssuance({
      requestRef: `${row.id}:renewal:${Number(renewed.n) + 1}`,
      signatureSerial: row.signer_serial,
      keyGeneration: row.key_generation,
    });
    return this.openSession(row.id, 'renewal', 'renewal authorised', { issuanceId: issuance.id });
  }

  /** Ends a remote session: `done`, and the application's own changes with their event, in one transaction. */
  private async finishSession(
    sessionId: string,
    applicationId: string,
    step: string,
    detail: string,
    changes: Partial<ApplicationsTable> = {},
  ): Promise<void> {
    await this.config.db.transaction().execute(async (trx) => {
      await trx.updateTable('sp_write_sessions').set({ state: 'done' }).where('id', '=', sessionId).execute();
      if (Object.keys(changes).length > 0)
        await trx
          .updateTable('sp_applications')
          .set({ ...changes, updated_at: this.now() })
          .where('id', '=', applicationId)
          .execute();
      await trx.insertInto('sp_events').values({ application_id: applicationId, at: this.now(), step, detail }).execute();
    });
  }

  /** Runs one session's work; an agent that went away may come back to the same session, any other failure ends it. */
  private async session(sessionId: string, applicationId: string, what: string, work: () => Promise<FlowOutcome>): Promise<FlowOutcome> {
    await this.config.db
      .updateTable('sp_write_sessions')
      .set({ state: 'running' })
      .where('id', '=', sessionId)
      .where('state', 'in', ['open', 'running'])
      .execute();
    try {
      return await work();
    } catch (error) {
      await this.event(applicationId, `${what} interrupted`, error instanceof Error ? error.message : 'failed');
      if (!(error instanceof DeviceAgentGoneError))
        await this.config.db.updateTable('sp_write_sessions').set({ state: 'failed' }).where('id', '=', sessionId).execute();
      throw error;
    }
  }

  private async resetPin(sessionId: string, applicationId: string, pin: string, card: RemoteCard): Promise<FlowOutcome> {
    return this.session(sessionId, applicationId, 'PIN reset', async () => {
      const row = await this.config.db.selectFrom('sp_applications').selectAll().where('id', '=', applicationId).executeTakeFirstOrThrow();
      if (row.state !== 'personalised') throw new ApplicationLocked(`the application is ${row.state}`);
      const domain = recordedDomain(row);
      await runPinReset(
        card,
        { designatedCard: row.designated_card, pin, ...(domain ? { domain } : {}) },
        { keys: this.config.keys, cardAuthorityRoot: this.config.cardAuthorityRoot },
      );
      await this.finishSession(sessionId, applicationId, 'PIN reset', '');
      return { outcome: 'pin-reset', detail: { application: applicationId } };
    });
  }

  /** How the SP's domain on the application's SIM opens, as recorded at the takeover (none: the first operator's SCP03). */
  private domainOf(row: ApplicationsTable): { domain?: NonNullable<ReturnType<typeof recordedDomain>> } {
    const domain = recordedDomain(row);
    return domain ? { domain } : {};
  }

  private async renew(sessionId: string, applicationId: string, issuanceId: string, card: RemoteCard): Promise<FlowOutcome> {
    return this.session(sessionId, applicationId, 'renewal', async () => {
      const { jpki } = this.config;
      const row = await this.config.db.selectFrom('sp_applications').selectAll().where('id', '=', applicationId).executeTakeFirstOrThrow();
      if (row.state !== 'personalised') throw new ApplicationLocked(`the application is ${row.state}`);
      const previous = row.issuance_id === null || row.issuance_id === issuanceId ? undefined : await jpki.issuedCertificateSerial(row.issuance_id);
      const result = await runRenewal(
        card,
        { designatedCard: row.designated_card, keyGeneration: row.key_generation, issuanceId, ...this.domainOf(row) },
        {
          keys: this.config.keys,
          cardAuthorityRoot: this.config.cardAuthorityRoot,
          jpki,
          record: (step, detail) => this.event(applicationId, step, detail),
        },
      );
      card.step('reporting to the JPKI system');
      await jpki.markDelivered(issuanceId, row.designated_card);
      // The old certificate goes only once the new one is on the SIM: a renewal cut short leaves a working credential.
      if (previous) await jpki.revokeCertificate(previous, 'superseded');
      await this.finishSession(
        sessionId,
        applicationId,
        'renewed',
        `key ${result.keyFingerprint.slice(0, 16)}…${previous ? `; certificate ${previous} superseded` : ''}`,
        {
          issuance_id: issuanceId,
          key_fingerprint: result.keyFingerprint,
        },
      );
      return { outcome: 'renewed', detail: { application: applicationId, keyFingerprint: result.keyFingerprint } };
    });
  }

  private async terminate(sessionId: string, applicationId: string, card: RemoteCard): Promise<FlowOutcome> {
    return this.session(sessionId, applicationId, 'termination', async () => {
      const row = await this.config.db.selectFrom('sp_applications').selectAll().where('id', '=', applicationId).executeTakeFirstOrThrow();
      // Only an ended credential is terminated: the certificate is already revoked, so the SIM is the last place it lives.
      if (row.state !== 'revoked' && row.state !== 'transferred') throw new ApplicationLocked(`the application is ${row.state}: revoke it first`);
      const job = { designatedCard: row.designated_card, ...this.domainOf(row) };
      const now = await runTermination(card, job, { keys: this.config.keys, cardAuthorityRoot: this.config.cardAuthorityRoot });
      await this.finishSession(
        sessionId,
        applicationId,
        'terminated on the SIM',
        now ? 'key, certificates and PIN erased' : 'already terminated or removed',
        { terminated_at: this.now() },
      );
      return { outcome: 'terminated', detail: { application: applicationId } };
    });
  }

  // ---- ⑫ – ⑬: the write, authorised by access code and password --------------------------------

  private rateLimit(address: string): void {
    const now = this.now();
    const window = (this.attempts.get(address) ?? []).filter((t) => now - t < 60_000);
    if (window.length >= (this.config.attemptsPerMinute ?? 20)) {
      this.attempts.set(address, window);
      throw new ServiceError(429, 'too-many-attempts', 'too many write authorisations from this address: wait a minute');
    }
    window.push(now);
    this.attempts.set(address, window);
  }

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
    this.rateLimit(r.remoteAddress);
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
    const token = randomBytes(32).toString('base64url');
    const sessionId = randomUUID();
    const expiresAt = this.now() + (this.config.writeSessionLifetimeMs ?? 15 * 60_000);
    const moved = await db.transaction().execute(async (trx) => {
      const u = await trx
        .updateTable('sp_applications')
        .set({ state: 'writing', access_code_hash: null, failed_attempts: 0, updated_at: this.now() })
        .where('id', '=', id)
        .where('state', '=', 'awaiting-write')
        .where('access_code_hash', '=', row.access_code_hash)
        .executeTakeFirst();
      if (Number(u.numUpdatedRows) !== 1) return false;
      await trx
        .insertInto('sp_write_sessions')
        .values({
          id: sessionId,
          application_id: id,
          token_hash: tokenDigest(token),
          created_at: this.now(),
          expires_at: expiresAt,
          state: 'open',
          pin_sealed: sealUnderToken(token, PIN_PURPOSE, body.pin as string),
        })
        .execute();
      await trx
        .insertInto('sp_events')
        .values({ application_id: id, at: this.now(), step: 'write authorised', detail: `session ${sessionId}` })
        .execute();
      return true;
    });
    if (!moved) throw new ServiceError(409, 'access-code-used', 'the access code was used by another request at the same time');
    return { sessionId, token, remoteUrl: `${this.config.publicUrl()}/remote/${sessionId}`, expiresAt: new Date(expiresAt).toISOString() };
  }

  // ---- ⑭ – ⑱: the write on the SIM ----------------------------------------------------------------

  private async flowFor(sessionId: string, token: string): Promise<((card: RemoteCard) => Promise<FlowOutcome>) | null> {
    const { db } = this.config;
    const session = await db.selectFrom('sp_write_sessions').selectAll().where('id', '=', sessionId).executeTakeFirst();
    if (!session || !sameDigest(session.token_hash, tokenDigest(token))) return null;
    if (session.state === 'done' || session.state === 'failed' || session.expires_at < this.now()) return null;
    const { id, application_id: applicationId } = session;
    if (session.kind === 'termination') return (card) => this.terminate(id, applicationId, card);
    if (session.kind === 'renewal') {
      const issuanceId = session.issuance_id;
      return issuanceId === null ? null : (card) => this.renew(id, applicationId, issuanceId, card);
    }
    const pin = openUnderToken(token, PIN_PURPOSE, session.pin_sealed);
    if (pin === undefined) return null;
    return session.kind === 'pin-reset' ? (card) => this.resetPin(id, applicationId, pin, card) : (card) => this.write(id, applicationId, pin, card);
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
    const row = await db.selectFrom('sp_applications').selectAll().where('id', '=', applicationId).executeTakeFirstOrThrow();
    if (row.state !== 'writing' || row.issuance_id === null) throw new ApplicationLocked(`the application is ${row.state}`);
    await db
      .updateTable('sp_write_sessions')
      .set({ state: 'running' })
      .where('id', '=', sessionId)
      .where('state', 'in', ['open', 'running'])
      .execute();
    try {
      const domain = recordedDomain(row);
      const result = await runWrite(
        card,
        {
          applicationId,
          designatedCard: row.designated_card,
          keyGeneration: row.key_generation,
          pinPolicy: row.pin_policy,
          issuanceId: row.issuance_id,
          pin,
          ...(domain ? { domain } : {}),
        },
        {
          keys: this.config.keys,
          cardAuthorityRoot: this.config.cardAuthorityRoot,
          jpki: this.config.jpki,
          mno: mnoPort(this.mnoFor(row)),
          record: (step, detail) => this.event(applicationId, step, detail),
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
      await this.config.jpki.markDelivered(row.issuance_id, row.designated_card);
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
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'failed';
      await this.event(applicationId, 'write interrupted', reason);
      if (!(error instanceof DeviceAgentGoneError)) await this.failWrite(sessionId, applicationId);
      throw error;
    }
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
