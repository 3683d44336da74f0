/**
 * The MNO-TSM as a service: one mobile operator's. An SP-TSM (known by its API key) asks for an installation
 * on a named SIM; the MNO-TSM answers with a remote session the device agent is sent to, runs the installation
 * there with its operator's card profile, and hands the new domain over by telling the SP-TSM the domain's
 * first keys and the secure channel it speaks, which the SP-TSM then uses to replace them. It never touches
 * the applet's content: it has no key that opens it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parseHex, toHex } from '../../apdu/hex.js';
import { diversifyKeySet, type KeySet } from '../../gp/keys.js';
import type { CardProfile } from '../../gp/card-profile.js';
import type { Database } from '../db/database.js';
import { badRequest, notFound, ServiceError } from '../http/errors.js';
import type { RequestContext, Route } from '../http/server.js';
import { RemoteSessions, tokenDigest } from '../remote-apdu/sessions.js';
import { DeviceAgentGoneError, type FlowOutcome, type RemoteCard } from '../remote-apdu/remote-card.js';
import { runInstallation, type InstallationPlan } from './install-flow.js';
import { OtherSimRefused } from './refusals.js';
import type { MnoInstallationsTable } from '../db/tables/mno-tsm.js';

export interface MnoTsmConfig {
  readonly db: Database;
  /** The operator this MNO-TSM is (its installations are its own, even in a database shared with another operator's). */
  readonly operator: string;
  /** The URL agents reach this service at (remote sessions are under it). */
  readonly publicUrl: () => string;
  /** SP-TSMs allowed to ask, by API key → name. */
  readonly serviceProviders: Readonly<Record<string, string>>;
  readonly plan: Omit<InstallationPlan, 'card' | 'ssdAid'>;
  /** The SP's domain AID (one per SP on every SIM). */
  readonly ssdAid: Uint8Array;
  readonly now?: () => number;
  readonly idleTimeoutMs?: number;
}

/**
 * What the SP-TSM learns at handover: the domain, its first keys (diversified for this SIM as the operator's
 * profile says; the SP-TSM replaces them at once) and their version, and the secure channel the domain
 * speaks (SCP02 or SCP03 and its i-parameter), which the SP-TSM keeps speaking with its own keys.
 */
export interface Handover {
  readonly ssdAid: string;
  readonly keyVersion: number;
  readonly keys: { readonly enc: string; readonly mac: string; readonly dek: string };
  readonly scp: 2 | 3;
  readonly i: number;
}

/** The operator's card profile as the handover needs it. */
function handoverOf(profile: CardProfile, ssdAid: string, kdd: Uint8Array): Handover {
  const keys: KeySet = diversifyKeySet(profile.keys, kdd, profile.diversification);
  return {
    ssdAid,
    keyVersion: keys.version,
    keys: { enc: toHex(keys.enc), mac: toHex(keys.mac), dek: toHex(keys.dek) },
    scp: profile.scp,
    i: profile.i,
  };
}

export interface InstallationView {
  readonly id: string;
  readonly state: MnoInstallationsTable['state'];
  readonly ssdAid: string;
  readonly handover?: Handover;
}

const HEX64 = /^[0-9A-F]{64}$/;

export class MnoTsm {
  private readonly sessions: RemoteSessions;
  private readonly now: () => number;

  constructor(private readonly config: MnoTsmConfig) {
    this.now = config.now ?? Date.now;
    this.sessions = new RemoteSessions({ resolve: (id, token) => this.flowFor(id, token) }, config.idleTimeoutMs);
  }

  routes(): Route[] {
    return [
      { method: 'POST', path: '/installations', handler: async (r) => ({ status: 201, json: await this.request(r) }) },
      { method: 'GET', path: '/installations/:id', handler: async (r) => ({ json: await this.view(this.caller(r), r.params.id!) }) },
      this.sessions.route('/remote'),
    ];
  }

  close(): void {
    this.sessions.close();
  }

  private caller(r: RequestContext): string {
    const m = /^Bearer (.+)$/.exec(r.headers.authorization ?? '');
    const name = m ? this.config.serviceProviders[m[1]!] : undefined;
    if (!name) throw new ServiceError(401, 'unauthenticated', 'an SP-TSM API key is required');
    return name;
  }

  private async event(id: string, step: string, detail = ''): Promise<void> {
    await this.config.db.insertInto('mno_events').values({ installation_id: id, at: this.now(), step, detail }).execute();
  }

  /** POST /installations: one installation per (SP, request reference); asking again renews the session token. */
  private async request(r: RequestContext): Promise<{ id: string; state: string; remote: { url: string; token: string } }> {
    const sp = this.caller(r);
    const body = r.json() as { requestRef?: unknown; card?: unknown };
    if (typeof body.requestRef !== 'string' || body.requestRef.length === 0 || body.requestRef.length > 100)
      throw badRequest('bad-request-ref', 'requestRef must be a short string');
    if (typeof body.card !== 'string' || !HEX64.test(body.card)) throw badRequest('bad-card', 'card must be the SIM card name (64 hex digits)');
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    const { db } = this.config;
    const record = (): Promise<MnoInstallationsTable> =>
      db.transaction().execute(async (trx) => {
        const existing = await trx
          .selectFrom('mno_installations')
          .selectAll()
          .where('operator', '=', this.config.operator)
          .where('requested_by', '=', sp)
          .where('request_ref', '=', body.requestRef as string)
          .executeTakeFirst();
        if (existing) {
          if (existing.card !== body.card) throw new ServiceError(409, 'card-mismatch', 'this request reference was made for another SIM');
          await trx
            .updateTable('mno_installations')
            .set({ token_hash: tokenDigest(token), updated_at: now })
            .where('id', '=', existing.id)
            .execute();
          return existing;
        }
        const created: MnoInstallationsTable = {
          id: randomUUID(),
          requested_by: sp,
          request_ref: body.requestRef as string,
          card: body.card as string,
          ssd_aid: toHex(this.config.ssdAid),
          state: 'requested',
          token_hash: tokenDigest(token),
          kdd: null,
          created_at: now,
          updated_at: now,
          operator: this.config.operator,
        };
        await trx.insertInto('mno_installations').values(created).execute();
        return created;
      });
    let row: MnoInstallationsTable;
    try {
      row = await record();
    } catch (error) {
      // The same request arriving twice at once: the unique (SP, reference) lets one in; the other
      // takes the installation it made.
      if (error instanceof ServiceError) throw error;
      row = await record();
    }
    if (row.created_at === now && row.state === 'requested') await this.event(row.id, 'requested', `by ${sp}`);
    return { id: row.id, state: row.state, remote: { url: `${this.config.publicUrl()}/remote/${row.id}`, token } };
  }

  private async view(sp: string, id: string): Promise<InstallationView> {
    const row = await this.installation(id).where('requested_by', '=', sp).executeTakeFirst();
    if (!row) throw notFound('installation');
    const view: InstallationView = { id: row.id, state: row.state, ssdAid: row.ssd_aid };
    if (row.state !== 'handed-over' || row.kdd === null) return view;
    return { ...view, handover: handoverOf(this.config.plan.profile, row.ssd_aid, parseHex(row.kdd)) };
  }

  /** One of this operator's installations. */
  private installation(id: string) {
    return this.config.db.selectFrom('mno_installations').selectAll().where('id', '=', id).where('operator', '=', this.config.operator);
  }

  private async flowFor(id: string, token: string): Promise<((card: RemoteCard) => Promise<FlowOutcome>) | null> {
    const row = await this.installation(id).executeTakeFirst();
    if (!row || row.token_hash !== tokenDigest(token) || row.state === 'failed') return null;
    return (card) => this.install(row, card);
  }

  private async install(row: MnoInstallationsTable, card: RemoteCard): Promise<FlowOutcome> {
    const { db } = this.config;
    if (row.state === 'handed-over') return { outcome: 'handed-over', detail: { ssd: row.ssd_aid } };
    await db
      .updateTable('mno_installations')
      .set({ state: 'running', updated_at: this.now() })
      .where('id', '=', row.id)
      .where('state', 'in', ['requested', 'running'])
      .execute();
    try {
      let kdd = '';
      await runInstallation(
        card,
        { ...this.config.plan, card: row.card, ssdAid: parseHex(row.ssd_aid) },
        async (step, detail) => {
          await this.event(row.id, step, detail);
        },
        (learnt) => (kdd = toHex(learnt)),
      );
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('mno_installations').set({ state: 'handed-over', kdd, updated_at: this.now() }).where('id', '=', row.id).execute();
        await trx.insertInto('mno_events').values({ installation_id: row.id, at: this.now(), step: 'handed-over', detail: row.ssd_aid }).execute();
      });
      return { outcome: 'handed-over', detail: { ssd: row.ssd_aid } };
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'failed';
      if (!(error instanceof DeviceAgentGoneError) && !(error instanceof OtherSimRefused)) {
        // The card said no: final. A vanished agent is not (the same session resumes), nor is another SIM
        // presented in the named one's place, or another operator's (nothing on it changed; the named SIM can still come).
        await db.updateTable('mno_installations').set({ state: 'failed', updated_at: this.now() }).where('id', '=', row.id).execute();
      }
      await this.event(row.id, 'failed', reason);
      throw error;
    }
  }
}
