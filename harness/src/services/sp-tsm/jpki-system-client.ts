/** The SP-TSM's port to the JPKI system over its HTTP API (docs/issuance-api.md). */
import type { KeyObject } from 'node:crypto';
import { callJson } from '../http/client.js';
import { ServiceCallError } from '../http/errors.js';
import { keyTransportContext, parseWrappedKey, unwrapPrivateKey } from '../jpki-system/key-transport.js';
import type { IssuedCredential, JpkiSystemPort, SignatureCertificateStatus } from './jpki-port.js';

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const bytes = (value: unknown): Uint8Array => new Uint8Array(Buffer.from(typeof value === 'string' ? value : '', 'base64'));

interface CredentialAnswer {
  readonly issuance: { readonly id: string; readonly certificateSerial?: string };
  readonly certificate: string;
  readonly caCertificate: string;
  readonly wrappedKey?: unknown;
}

export class JpkiSystemClient implements JpkiSystemPort {
  /**
   * @param url the JPKI system's base URL
   * @param keyTransportKey the SP-TSM's private key the JPKI system wraps generated keys to
   */
  constructor(
    private readonly url: string,
    private readonly keyTransportKey: KeyObject,
  ) {}

  private call(path: string, body?: unknown): Promise<unknown> {
    return callJson('JPKI system', `${this.url}${path}`, body === undefined ? {} : { body });
  }

  async checkSignatureCertificate(certificate: Uint8Array): Promise<SignatureCertificateStatus> {
    const a = (await this.call('/signature-certificates/check', { certificate: b64(certificate) })) as {
      valid?: boolean;
      reason?: string;
      serial?: string;
      subject?: string;
      predecessors?: string[];
    };
    return {
      valid: a.valid === true,
      ...(a.reason ? { reason: a.reason } : {}),
      serial: a.serial ?? '',
      subject: a.subject ?? '',
      ...(Array.isArray(a.predecessors) ? { predecessors: a.predecessors.filter((p) => typeof p === 'string') } : {}),
    };
  }

  async requestIssuance(request: { requestRef: string; signatureSerial: string; keyGeneration: 'jpki-system' | 'on-card' }): Promise<{ id: string }> {
    const a = (await this.call('/issuances', request)) as { id: string };
    return { id: a.id };
  }

  private credential(a: CredentialAnswer): IssuedCredential {
    const privateKey =
      a.wrappedKey === undefined
        ? undefined
        : unwrapPrivateKey(
            parseWrappedKey(a.wrappedKey),
            this.keyTransportKey,
            keyTransportContext(a.issuance.id, a.issuance.certificateSerial ?? ''),
          );
    return { certificate: bytes(a.certificate), caCertificate: bytes(a.caCertificate), ...(privateKey ? { privateKey } : {}) };
  }

  async collectIssued(issuanceId: string): Promise<IssuedCredential> {
    return this.credential((await this.call(`/issuances/${encodeURIComponent(issuanceId)}/credential`)) as CredentialAnswer);
  }

  async certify(issuanceId: string, subjectPublicKeyInfo: Uint8Array): Promise<IssuedCredential> {
    return this.credential(
      (await this.call(`/issuances/${encodeURIComponent(issuanceId)}/certify`, {
        subjectPublicKeyInfo: b64(subjectPublicKeyInfo),
      })) as CredentialAnswer,
    );
  }

  async userAuthenticationCaCertificate(): Promise<Uint8Array> {
    const response = await fetch(`${this.url}/ca/user-authentication.crt`);
    if (!response.ok) throw new Error(`JPKI system: CA certificate answered ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }

  async issuedCertificateSerial(issuanceId: string): Promise<string | undefined> {
    const a = (await this.call(`/issuances/${encodeURIComponent(issuanceId)}`)) as { certificateSerial?: string };
    return a.certificateSerial;
  }

  async revokeCertificate(serial: string, reason: string): Promise<void> {
    try {
      await this.call(`/certificates/${encodeURIComponent(serial)}/revoke`, { reason });
    } catch (error) {
      if (error instanceof ServiceCallError && error.code === 'already-revoked') return;
      throw error;
    }
  }

  async markDelivered(issuanceId: string, sim: string): Promise<void> {
    await this.call(`/issuances/${encodeURIComponent(issuanceId)}/delivered`, { sim });
  }
}
