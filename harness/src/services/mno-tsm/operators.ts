/**
 * Starting one MNO-TSM per mobile operator: each with its operator's card profile and SIM IINs, on its own
 * port, all sharing the one database (each sees only its own installations).
 */
import type { CapFile } from '../../gp/cap/cap.js';
import type { CardProfile } from '../../gp/card-profile.js';
import type { Database } from '../db/database.js';
import { startService, type RunningService } from '../http/server.js';
import { MnoTsm } from './service.js';

export interface OperatorConfig {
  readonly name: string;
  readonly profile: CardProfile;
  readonly issuerIdentificationNumbers?: readonly string[];
}

export interface OperatorsOptions {
  readonly db: Database;
  readonly operators: readonly OperatorConfig[];
  readonly serviceProviders: Readonly<Record<string, string>>;
  readonly cardAuthorityRoot: Uint8Array;
  readonly cap: CapFile;
  readonly instanceAid: Uint8Array;
  readonly ssdAid: Uint8Array;
  readonly host: string;
  /** The port of the n-th operator (0 picks a free one). */
  readonly port: (index: number) => number;
  readonly idleTimeoutMs?: number;
}

export interface RunningOperators {
  /** Each operator's MNO-TSM URL, in the order given. */
  readonly urls: Record<string, string>;
  readonly services: readonly RunningService[];
  readonly closers: readonly (() => void)[];
}

/** Starts every operator's MNO-TSM; on a failure, the ones already started are stopped again. */
export async function startOperators(o: OperatorsOptions): Promise<RunningOperators> {
  const urls: Record<string, string> = {};
  const services: RunningService[] = [];
  const closers: (() => void)[] = [];
  try {
    for (const [index, operator] of o.operators.entries()) {
      let url = '';
      const mno = new MnoTsm({
        db: o.db,
        operator: operator.name,
        publicUrl: () => url,
        serviceProviders: o.serviceProviders,
        plan: {
          cardAuthorityRoot: o.cardAuthorityRoot,
          profile: operator.profile,
          ...(operator.issuerIdentificationNumbers ? { issuerIdentificationNumbers: operator.issuerIdentificationNumbers } : {}),
          cap: o.cap,
          instanceAid: o.instanceAid,
        },
        ssdAid: o.ssdAid,
        ...(o.idleTimeoutMs !== undefined ? { idleTimeoutMs: o.idleTimeoutMs } : {}),
      });
      closers.push(() => mno.close());
      const service = await startService(mno.routes(), { host: o.host, port: o.port(index) });
      url = service.url;
      services.push(service);
      urls[operator.name] = url;
    }
  } catch (error) {
    for (const c of closers) c();
    await Promise.all(services.map((s) => s.close()));
    throw error;
  }
  return { urls, services, closers };
}
