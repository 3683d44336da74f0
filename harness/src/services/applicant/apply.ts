/**
 * The applicant's side, as the JPKI-UI app does it on the phone: read the designated SIM's card
 * authority certificate, sign the application with the My Number card (its signature key, unlocked by
 * the card's signature password), send it to the SP-TSM (②); later authorise the write with the access
 * code and the download password and relay the write to the SIM (⑫–⑱).
 */
import { readCardAuthorityCertificate } from '../../gp/card-authority.js';
import { readSignatureCertificate, signWithSignatureKey } from '../../my-number-card/client.js';
import type { Transport } from '../../transport/transport.js';
import { runRemoteSession, type AgentOptions, type AgentResult } from '../device-agent/agent.js';
import { callJson } from '../http/client.js';
import { signApplication, type ApplicationDocument } from '../sp-tsm/application.js';
import type { DocumentSigner } from '../sp-tsm/signed-document.js';
import { signPinReset, signRenewal, signRevocation, type RevocationGround } from '../sp-tsm/applicant-requests.js';
import type { ApplicationStatus, WriteAuthorisation } from '../sp-tsm/service.js';

/** The My Number card as the signer of the applicant's documents: its signature key, unlocked by its password. */
async function cardSigner(card: Transport, password: string): Promise<DocumentSigner> {
  const certificate = await readSignatureCertificate(card);
  return { certificate, sign: (data) => signWithSignatureKey(card, password, { data, hash: 'sha256' }) };
}

/** Asks the SP-TSM for a remote session of the application (`POST …/<kind>`) and relays it to the SIM as the device agent. */
async function relaySession(
  options: AgentOptions & { readonly spTsmUrl: string; readonly applicationId: string; readonly sim: Transport },
  kind: 'renewals' | 'pin-resets',
  body: unknown,
): Promise<AgentResult & { sessionId: string }> {
  const url = `${options.spTsmUrl}/applications/${encodeURIComponent(options.applicationId)}/${kind}`;
  const authorisation = (await callJson('SP-TSM', url, { body })) as WriteAuthorisation;
  const result = await runRemoteSession(authorisation.remoteUrl, authorisation.token, options.sim, options);
  return { ...result, sessionId: authorisation.sessionId };
}

export interface ApplyOptions {
  readonly spTsmUrl: string;
  /** The applicant's My Number card. */
  readonly myNumberCard: Transport;
  /** Its signature password (6–16 upper-case letters and digits). */
  readonly signaturePassword: string;
  /** The designated SIM. */
  readonly sim: Transport;
  /** The password chosen for the download (checked again at the write). */
  readonly downloadPassword: string;
  readonly contact: string;
  readonly keyGeneration?: ApplicationDocument['keyGeneration'];
  readonly pinPolicy?: ApplicationDocument['pinPolicy'];
  /** A transfer: the application whose credential moves to this SIM (revoked now, terminated where reachable). */
  readonly replaces?: string;
  /** The operator of the designated SIM; default: the SP-TSM's default operator. */
  readonly operator?: string;
}

export interface ApplyResult {
  readonly id: string;
  readonly state: string;
  readonly duplicate: boolean;
  /** For a transfer: the session that terminates the credential on the old SIM (run it with `terminateOnSim`). */
  readonly termination?: WriteAuthorisation;
}

export async function apply(options: ApplyOptions): Promise<ApplyResult> {
  const simCertificate = await readCardAuthorityCertificate(options.sim);
  const signed = await signApplication(
    await cardSigner(options.myNumberCard, options.signaturePassword),
    {
      contact: options.contact,
      simCertificate,
      keyGeneration: options.keyGeneration ?? 'jpki-system',
      pinPolicy: options.pinPolicy ?? 'pin-required',
      ...(options.replaces !== undefined ? { replaces: options.replaces } : {}),
      ...(options.operator !== undefined ? { operator: options.operator } : {}),
    },
    options.downloadPassword,
  );
  const answer = (await callJson('SP-TSM', `${options.spTsmUrl}/applications`, { body: signed })) as {
    id: string;
    state: string;
    duplicate?: boolean;
    termination?: WriteAuthorisation;
  };
  return {
    id: answer.id,
    state: answer.state,
    duplicate: answer.duplicate === true,
    ...(answer.termination ? { termination: answer.termination } : {}),
  };
}

export async function applicationStatus(spTsmUrl: string, id: string): Promise<ApplicationStatus> {
  return (await callJson('SP-TSM', `${spTsmUrl}/applications/${encodeURIComponent(id)}`)) as ApplicationStatus;
}

export interface WriteOptions extends AgentOptions {
  readonly spTsmUrl: string;
  readonly applicationId: string;
  readonly accessCode: string;
  readonly downloadPassword: string;
  /** The SIM credential's PIN (4 digits). */
  readonly pin: string;
  readonly sim: Transport;
}

/** Authorises the write (access code + password) and relays it to the SIM until the SP-TSM is done. */
export async function authoriseAndWrite(options: WriteOptions): Promise<AgentResult & { sessionId: string }> {
  const authorisation = (await callJson('SP-TSM', `${options.spTsmUrl}/applications/${encodeURIComponent(options.applicationId)}/write-sessions`, {
    body: { accessCode: options.accessCode, password: options.downloadPassword, pin: options.pin },
  })) as WriteAuthorisation;
  const result = await runRemoteSession(authorisation.remoteUrl, authorisation.token, options.sim, options);
  return { ...result, sessionId: authorisation.sessionId };
}

export interface RevokeOptions {
  readonly spTsmUrl: string;
  readonly applicationId: string;
  /** The applicant's My Number card and its signature password: the request is signed as the application was. */
  readonly myNumberCard: Transport;
  readonly signaturePassword: string;
  readonly ground: RevocationGround;
}

export interface RevocationResult {
  readonly id: string;
  readonly state: string;
  readonly revokedCertificate?: string;
  /** Until the applet on the SIM is terminated: the session that does it, for an agent that still holds the SIM. */
  readonly termination?: WriteAuthorisation;
}

/** Asks the SP-TSM to revoke the SIM credential of an application (a lost or stolen phone, or withdrawn). */
export async function requestRevocation(options: RevokeOptions): Promise<RevocationResult> {
  const signed = await signRevocation(await cardSigner(options.myNumberCard, options.signaturePassword), options.applicationId, options.ground);
  return (await callJson('SP-TSM', `${options.spTsmUrl}/applications/${encodeURIComponent(options.applicationId)}/revocation`, {
    body: signed,
  })) as RevocationResult;
}

/** Relays a termination session (from a revocation or a transfer) to the SIM that held the credential. */
export async function terminateOnSim(termination: WriteAuthorisation, sim: Transport, options: AgentOptions = {}): Promise<AgentResult> {
  return runRemoteSession(termination.remoteUrl, termination.token, sim, options);
}

export interface RenewalOptions extends AgentOptions {
  readonly spTsmUrl: string;
  readonly applicationId: string;
  readonly myNumberCard: Transport;
  readonly signaturePassword: string;
  /** The SIM that holds the credential. */
  readonly sim: Transport;
}

/** Re-identifies with the My Number card and has the SP-TSM write a new key and certificate on the same SIM. */
export async function requestRenewal(options: RenewalOptions): Promise<AgentResult & { sessionId: string }> {
  const signed = await signRenewal(await cardSigner(options.myNumberCard, options.signaturePassword), options.applicationId);
  return relaySession(options, 'renewals', signed);
}

export interface PinResetOptions extends AgentOptions {
  readonly spTsmUrl: string;
  readonly applicationId: string;
  readonly myNumberCard: Transport;
  readonly signaturePassword: string;
  /** The new PIN (4 digits). */
  readonly pin: string;
  /** The SIM that holds the credential. */
  readonly sim: Transport;
}

/** Re-identifies with the My Number card and has the SP-TSM reset the SIM credential's PIN through the agent. */
export async function requestPinReset(options: PinResetOptions): Promise<AgentResult & { sessionId: string }> {
  const signed = await signPinReset(await cardSigner(options.myNumberCard, options.signaturePassword), options.applicationId);
  return relaySession(options, 'pin-resets', { ...signed, pin: options.pin });
}
