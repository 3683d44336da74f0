/**
 * The applicant's requests once a credential exists, each re-identified by the My Number card's signature
 * certificate (or its linked successor): revocation with the termination of the applet where the SIM is
 * still reachable, PIN reset (counted per day), renewal on the same SIM, and the check that lets a new
 * application take a credential over to another SIM (a transfer). The work on the SIM runs in remote
 * sessions through the device agent.
 */
import { badRequest, notFound, ServiceError } from '../http/errors.js';
import type { RequestContext } from '../http/server.js';
import type { FlowOutcome, RemoteCard } from '../remote-apdu/remote-card.js';
import type { ApplicationState, ApplicationsTable } from '../db/tables/sp-tsm.js';
import { checkPinReset, checkRenewal, checkRevocation, REVOCATION_REASON } from './applicant-requests.js';
import type { CheckedApplication } from './application.js';
import type { SpTsmConfig } from './config.js';
import { recordedDomain } from './operators.js';
import type { AddressRateLimit } from './rate-limit.js';
import { ApplicationLocked, sameSerialDigits, type ApplicationRecords, type WriteAuthorisation } from './records.js';
import { runPinReset, runRenewal, runTermination } from './write-flow.js';

export class AfterIssuance {
  constructor(
    private readonly config: SpTsmConfig,
    private readonly records: ApplicationRecords,
    private readonly rateLimit: AddressRateLimit,
    private readonly now: () => number,
  ) {}

  /** States a credential can be transferred out of (it is, or was about to be, on its SIM, or was ended there). */
  static readonly TRANSFERABLE: readonly ApplicationState[] = ['awaiting-write', 'locked', 'personalised', 'failed', 'revoked'];

  /**
   * A transfer names the application whose credential moves to the new SIM. Only its applicant (the same
   * signature certificate) can move it, once, and to another SIM.
   */
  async replaceable(application: CheckedApplication, newCard: string): Promise<ApplicationsTable> {
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
    if (!AfterIssuance.TRANSFERABLE.includes(old.state))
      throw new ServiceError(409, 'not-transferable', `the application transferred from is ${old.state}`);
    if (old.designated_card === newCard)
      throw new ServiceError(409, 'same-sim', 'a transfer goes to another SIM: for the same SIM, renew or reset the PIN');
    return old;
  }

  /**
   * The applicant ends the SIM credential: the request is signed by the same signature certificate as
   * the application (and that certificate is still valid at the JPKI system); the SIM certificate is
   * revoked there, then the application is marked revoked. When the credential reached a SIM, the answer
   * carries a termination session: a device agent that still holds the SIM runs it and the applet erases
   * the credential. Asking again answers the same (with a new termination session until it ran).
   */
  async revoke(r: RequestContext): Promise<{ id: string; state: ApplicationState; revokedCertificate?: string; termination?: WriteAuthorisation }> {
    const request = checkRevocation(r.json(), new Date(this.now()));
    const row = await this.applicantsOwn(r.params.id!, request);
    const id = row.id;
    const serial = row.issuance_id === null ? undefined : await this.config.jpki.issuedCertificateSerial(row.issuance_id);
    if (row.state !== 'revoked' && row.state !== 'transferred') {
      if (serial) await this.config.jpki.revokeCertificate(serial, REVOCATION_REASON[request.ground]);
      const from: ApplicationState[] = ['received', 'awaiting-write', 'locked', 'writing', 'personalised', 'failed'];
      await this.records.transition(
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
  async terminationFor(row: ApplicationsTable): Promise<WriteAuthorisation | undefined> {
    if (row.terminated_at !== null || row.key_fingerprint === null) return undefined;
    return this.records.openSession(row.id, 'termination', 'termination authorised');
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
  async authorisePinReset(r: RequestContext): Promise<WriteAuthorisation> {
    this.rateLimit.take(r.remoteAddress);
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
    return this.records.openSession(row.id, 'pin-reset', 'PIN reset authorised', { pin: request.pin });
  }

  /**
   * A renewal (the credential nears its end): the applicant re-identifies; the JPKI system issues the new
   * certificate (one issuance per renewal, found again if asked twice) and the agent's session writes the
   * new key and certificate on the same SIM. The old certificate is revoked (superseded) once the new one
   * is on the SIM.
   */
  async authoriseRenewal(r: RequestContext): Promise<WriteAuthorisation> {
    this.rateLimit.take(r.remoteAddress);
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
    return this.records.openSession(row.id, 'renewal', 'renewal authorised', { issuanceId: issuance.id });
  }

  async resetPin(sessionId: string, applicationId: string, pin: string, card: RemoteCard): Promise<FlowOutcome> {
    return this.records.runSession(sessionId, applicationId, 'PIN reset', async () => {
      const row = await this.config.db.selectFrom('sp_applications').selectAll().where('id', '=', applicationId).executeTakeFirstOrThrow();
      if (row.state !== 'personalised') throw new ApplicationLocked(`the application is ${row.state}`);
      const domain = recordedDomain(row);
      await runPinReset(
        card,
        { designatedCard: row.designated_card, pin, ...(domain ? { domain } : {}) },
        { keys: this.config.keys, cardAuthorityRoot: this.config.cardAuthorityRoot },
      );
      await this.records.finishSession(sessionId, applicationId, 'PIN reset', '');
      return { outcome: 'pin-reset', detail: { application: applicationId } };
    });
  }

  /** How the SP's domain on the application's SIM opens, as recorded at the takeover (none: the first operator's SCP03). */
  private domainOf(row: ApplicationsTable): { domain?: NonNullable<ReturnType<typeof recordedDomain>> } {
    const domain = recordedDomain(row);
    return domain ? { domain } : {};
  }

  async renew(sessionId: string, applicationId: string, issuanceId: string, card: RemoteCard): Promise<FlowOutcome> {
    return this.records.runSession(sessionId, applicationId, 'renewal', async () => {
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
          record: (step, detail) => this.records.event(applicationId, step, detail),
        },
      );
      card.step('reporting to the JPKI system');
      await jpki.markDelivered(issuanceId, row.designated_card);
      // The old certificate goes only once the new one is on the SIM: a renewal cut short leaves a working credential.
      if (previous) await jpki.revokeCertificate(previous, 'superseded');
      await this.records.finishSession(
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

  async terminate(sessionId: string, applicationId: string, card: RemoteCard): Promise<FlowOutcome> {
    return this.records.runSession(sessionId, applicationId, 'termination', async () => {
      const row = await this.config.db.selectFrom('sp_applications').selectAll().where('id', '=', applicationId).executeTakeFirstOrThrow();
      // Only an ended credential is terminated: the certificate is already revoked, so the SIM is the last place it lives.
      if (row.state !== 'revoked' && row.state !== 'transferred') throw new ApplicationLocked(`the application is ${row.state}: revoke it first`);
      const job = { designatedCard: row.designated_card, ...this.domainOf(row) };
      const now = await runTermination(card, job, { keys: this.config.keys, cardAuthorityRoot: this.config.cardAuthorityRoot });
      await this.records.finishSession(
        sessionId,
        applicationId,
        'terminated on the SIM',
        now ? 'key, certificates and PIN erased' : 'already terminated or removed',
        { terminated_at: this.now() },
      );
      return { outcome: 'terminated', detail: { application: applicationId } };
    });
  }
}
