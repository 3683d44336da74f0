/**
 * The SP-TSM's view of the mobile operators: each operator's MNO-TSM (where the SP-TSM asks for the
 * installation on that operator's SIMs), and what the SP-TSM keeps per application to reopen its domain on
 * the SIM later, since each operator's cards speak their own secure channel.
 */
import { callJson } from '../http/client.js';
import type { Handover } from '../mno-tsm/service.js';
import type { ApplicationsTable } from '../db/tables/sp-tsm.js';
import type { DomainProtocol, WriteContext } from './write-flow.js';

/** An operator's MNO-TSM and the SP-TSM's API key there. */
export interface MnoEndpoint {
  readonly url: string;
  readonly apiKey: string;
}

type Installation = Awaited<ReturnType<WriteContext['mno']['request']>>;

/** The MNO-TSM of one operator as the write flow uses it. */
export function mnoPort(endpoint: MnoEndpoint): WriteContext['mno'] {
  const { url, apiKey } = endpoint;
  const headers = { authorization: `Bearer ${apiKey}` };
  return {
    request: async (requestRef, card) => (await callJson('MNO-TSM', `${url}/installations`, { body: { requestRef, card }, headers })) as Installation,
    handover: async (id) => ((await callJson('MNO-TSM', `${url}/installations/${id}`, { headers })) as { handover?: Handover }).handover,
  };
}

/** The operator of an application; rows from before operators were named belong to the default one. */
export function applicationOperator(row: Pick<ApplicationsTable, 'operator'>, defaultOperator: string): string {
  return row.operator ?? defaultOperator;
}

/** How the SP's domain on the application's SIM opens, when its takeover recorded it. */
export function recordedDomain(row: Pick<ApplicationsTable, 'domain_scp' | 'domain_i' | 'domain_key_version'>): DomainProtocol | undefined {
  if (row.domain_scp === null || row.domain_i === null || row.domain_key_version === null) return undefined;
  if (row.domain_scp !== 2 && row.domain_scp !== 3) return undefined;
  return { scp: row.domain_scp, i: row.domain_i, keyVersion: row.domain_key_version };
}

/** The columns that record a domain's protocol. */
export function domainColumns(domain: DomainProtocol): Pick<ApplicationsTable, 'domain_scp' | 'domain_i' | 'domain_key_version'> {
  return { domain_scp: domain.scp, domain_i: domain.i, domain_key_version: domain.keyVersion };
}
