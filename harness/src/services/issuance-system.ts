/**
 * The issuance system in one call: the test JPKI system, the MNO-TSM and the SP-TSM, each an HTTP
 * service on loopback with its own port, sharing one database (each role has its own tables). `serve`
 * runs it for people; the tests and the demo run it in-process. Roles can also be started alone and
 * pointed at each other (`--jpki-system-url`, `--mno-tsm-url`). Beside them runs a relying party (HTTPS) that
 * signs users in with the SIM credential (services/relying-party/).
 */
import path from 'node:path';
import { CapFile } from '../gp/cap/cap.js';
import { JPKI_AID } from '../jpki/client/client.js';
import { openDatabase, type OpenedDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { startService, type RunningService } from './http/server.js';
import { loadJpkiPki, loadTestSpTsmKeyTransport } from './jpki-system/pki.js';
import { startJpkiSystem } from './jpki-system/service.js';
import { startRelyingParty } from './relying-party/service.js';
import type { TlsIdentity } from './relying-party/tls.js';
import { startOperators } from './mno-tsm/operators.js';
import { JpkiSystemClient } from './sp-tsm/jpki-system-client.js';
import { Mailbox } from './sp-tsm/mailbox.js';
import { SpTsm } from './sp-tsm/service.js';
import {
  TEST_OPERATOR_A,
  TEST_SP_API_KEY,
  TEST_SP_DOMAIN_AID,
  TEST_SP_KEYS,
  TEST_SP_NAME,
  testCapFile,
  testCardAuthorityRoot,
  testOperators,
} from './test-configuration.js';

export type Role = 'jpki-system' | 'mno-tsm' | 'sp-tsm' | 'relying-party';
export const ROLES: readonly Role[] = ['jpki-system', 'mno-tsm', 'sp-tsm', 'relying-party'];

export interface IssuanceSystemOptions {
  /** SQLite file or postgres:// URL. */
  readonly database: string;
  /** Where the mailbox (access codes) lives. */
  readonly dataDirectory: string;
  readonly roles?: readonly Role[];
  readonly host?: string;
  /** First port (JPKI system; MNO-TSM +1, SP-TSM +2, relying party +3); 0 picks free ports. */
  readonly basePort?: number;
  /** For roles run elsewhere. */
  readonly jpkiSystemUrl?: string;
  readonly mnoTsmUrl?: string;
  /** Other operators' MNO-TSMs run elsewhere, by operator name (`mnoTsmUrl` is operator A's). */
  readonly operatorUrls?: Readonly<Record<string, string>>;
  /** How long a TSM waits for the device agent's next report. */
  readonly idleTimeoutMs?: number;
  /** For load tests on small machines: cheaper password hashing (never below the default in a deployment). */
  readonly passwordHashParameters?: { N: number; r: number; p: number };
  readonly accessCodeLifetimeMs?: number;
  /** Write authorisations the SP-TSM takes per client address per minute (default 20). */
  readonly attemptsPerMinute?: number;
  /** Applications the SP-TSM works on at once (default: libuv's thread pool size). */
  readonly applicationConcurrency?: number;
  /** PIN resets the SP-TSM authorises per application in 24 hours (default 3). */
  readonly pinResetsPerDay?: number;
  /** The relying party's TLS certificate and key (PEM); default a TEST certificate made at start for the loopback names. */
  readonly relyingPartyTls?: TlsIdentity;
}

export interface RunningIssuanceSystem {
  readonly database: OpenedDatabase;
  readonly urls: Partial<Record<Role, string>>;
  /** Each mobile operator's MNO-TSM URL, by operator name (`urls['mno-tsm']` is operator A's). */
  readonly operators: Readonly<Record<string, string>>;
  readonly mailbox: Mailbox;
  readonly spTsm?: SpTsm;
  /** The relying party's TLS certificate (PEM), for clients to pin. */
  readonly relyingPartyCertificate?: string;
  close(): Promise<void>;
}

export async function startIssuanceSystem(options: IssuanceSystemOptions): Promise<RunningIssuanceSystem> {
  const roles = new Set(options.roles ?? ROLES);
  const database = await openDatabase(options.database);
  await migrateToLatest(database.db, database.engine);
  const host = options.host ?? '127.0.0.1';
  const port = (offset: number): number => (options.basePort ? options.basePort + offset : 0);
  const running: RunningService[] = [];
  const closers: (() => void)[] = [];
  const urls: Partial<Record<Role, string>> = {};
  const operators: Record<string, string> = {};
  const mailbox = new Mailbox(path.join(options.dataDirectory, 'mailbox'));
  let spTsm: SpTsm | undefined;
  let relyingPartyCertificate: string | undefined;
  try {
    if (roles.has('jpki-system')) {
      const jpki = await startJpkiSystem({
        db: database.db,
        pki: await loadJpkiPki(),
        spTsmKeyTransportPublicKey: loadTestSpTsmKeyTransport().publicKey,
        host,
        port: port(0),
      });
      running.push(jpki);
      urls['jpki-system'] = jpki.url;
    }
    if (roles.has('mno-tsm')) {
      // Every operator's MNO-TSM: the first on the MNO-TSM's port, the others from base + 11 on.
      const started = await startOperators({
        db: database.db,
        operators: testOperators(),
        serviceProviders: { [TEST_SP_API_KEY]: TEST_SP_NAME },
        cardAuthorityRoot: testCardAuthorityRoot(),
        cap: CapFile.load(testCapFile()),
        instanceAid: JPKI_AID,
        ssdAid: TEST_SP_DOMAIN_AID,
        host,
        port: (index) => (index === 0 ? port(1) : port(10 + index)),
        ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
      });
      running.push(...started.services);
      closers.push(...started.closers);
      Object.assign(operators, started.urls);
      urls['mno-tsm'] = started.urls[TEST_OPERATOR_A];
    }
    for (const [name, url] of Object.entries(options.operatorUrls ?? {})) operators[name] ??= url;
    if (options.mnoTsmUrl) operators[TEST_OPERATOR_A] ??= options.mnoTsmUrl;
    if (roles.has('sp-tsm')) {
      const jpkiUrl = urls['jpki-system'] ?? options.jpkiSystemUrl;
      const mnoUrl = operators[TEST_OPERATOR_A];
      if (!jpkiUrl || !mnoUrl) throw new Error('the SP-TSM needs the JPKI system and the MNO-TSM: start them too or give their URLs');
      let url = '';
      spTsm = new SpTsm({
        db: database.db,
        publicUrl: () => url,
        mailbox,
        jpki: new JpkiSystemClient(jpkiUrl, loadTestSpTsmKeyTransport().privateKey),
        mno: Object.fromEntries(Object.entries(operators).map(([name, url]) => [name, { url, apiKey: TEST_SP_API_KEY }])),
        defaultOperator: TEST_OPERATOR_A,
        keys: TEST_SP_KEYS,
        cardAuthorityRoot: testCardAuthorityRoot(),
        ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
        ...(options.passwordHashParameters ? { passwordHashParameters: options.passwordHashParameters } : {}),
        ...(options.accessCodeLifetimeMs !== undefined ? { accessCodeLifetimeMs: options.accessCodeLifetimeMs } : {}),
        ...(options.attemptsPerMinute !== undefined ? { attemptsPerMinute: options.attemptsPerMinute } : {}),
        ...(options.applicationConcurrency !== undefined ? { applicationConcurrency: options.applicationConcurrency } : {}),
        ...(options.pinResetsPerDay !== undefined ? { pinResetsPerDay: options.pinResetsPerDay } : {}),
      });
      const service = await startService(spTsm.routes(), { host, port: port(2) });
      url = service.url;
      running.push(service);
      const sp = spTsm;
      closers.push(() => sp.close());
      urls['sp-tsm'] = url;
      await spTsm.recover();
    }
    if (roles.has('relying-party')) {
      // Needs no other role: the OCSP responder it asks is the one each SIM certificate names.
      const root = (await loadJpkiPki()).root.der;
      const tls = options.relyingPartyTls ? { tls: options.relyingPartyTls } : {};
      const rp = await startRelyingParty({ db: database.db, root, host, port: port(3), ...tls });
      running.push(rp);
      urls['relying-party'] = rp.url;
      relyingPartyCertificate = rp.certificate;
    }
  } catch (error) {
    for (const c of closers) c();
    await Promise.all(running.map((r) => r.close()));
    await database.db.destroy();
    throw error;
  }
  return {
    database,
    urls,
    operators,
    mailbox,
    ...(spTsm ? { spTsm } : {}),
    ...(relyingPartyCertificate ? { relyingPartyCertificate } : {}),
    close: async () => {
      for (const c of closers) c();
      await Promise.all(running.map((r) => r.close()));
      await database.db.destroy();
    },
  };
}
