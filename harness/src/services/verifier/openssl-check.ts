/**
 * Revocation checked by a witness that shares no code with the JPKI system or our OCSP client: the openssl
 * command. `openssl ocsp` asks the responder the certificate names; `openssl verify -crl_check` checks the
 * chain against the CRL from the certificate's distribution point. Certificates are written as PEM into a
 * private temporary folder, because openssl reads them from files.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { ExternalToolError, runTool } from './external-tool.js';

const INSTALL_HINT = 'install OpenSSL (apt-get install openssl)';

export interface OpensslChain {
  /** The SIM's certificate, its CA's and the JPKI root (DER). */
  readonly certificate: Uint8Array;
  readonly issuer: Uint8Array;
  readonly root: Uint8Array;
}

export interface OpensslOcspVerdict {
  readonly status: 'good' | 'revoked' | 'unknown';
  /** openssl's reason line for a revoked certificate, e.g. keyCompromise. */
  readonly reason?: string;
  /** openssl's own words, for reports. */
  readonly output: string;
}

export interface OpensslVerifyVerdict {
  readonly ok: boolean;
  /** openssl's error text when not ok, e.g. "certificate revoked". */
  readonly error?: string;
  readonly output: string;
}

const pem = (der: Uint8Array): string => new X509Certificate(der).toString();

/** The first URL of the certificate's cRLDistributionPoints, if any. */
export function crlUrlOf(certificate: Uint8Array): string | undefined {
  const cert = new x509.X509Certificate(certificate);
  const points = cert.getExtension(x509.CRLDistributionPointsExtension);
  for (const point of points?.distributionPoints ?? []) {
    for (const name of point.distributionPoint?.fullName ?? []) if (name.uniformResourceIdentifier) return name.uniformResourceIdentifier;
  }
  return undefined;
}

/** Fetches a CRL (DER, as the JPKI system's `GET /crl/<ca>.crl` serves it). */
export async function fetchCrl(url: string): Promise<Uint8Array> {
  const answer = await fetch(url);
  if (!answer.ok) throw new ExternalToolError('fetch', `${url}: HTTP ${answer.status}`);
  return new Uint8Array(await answer.arrayBuffer());
}

async function withFiles<T>(files: Readonly<Record<string, string | Uint8Array>>, run: (file: (name: string) => string) => Promise<T>): Promise<T> {
  const work = await mkdtemp(path.join(tmpdir(), 'jpki-openssl-'));
  const file = (name: string): string => path.join(work, name);
  try {
    for (const [name, content] of Object.entries(files)) await writeFile(file(name), content);
    return await run(file);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** `openssl ocsp -issuer ca.pem -cert sim.pem -url <url> -CAfile root.pem`: the status openssl reads from the answer. */
export async function opensslOcsp(chain: OpensslChain, url: string): Promise<OpensslOcspVerdict> {
  const files = { 'sim.pem': pem(chain.certificate), 'ca.pem': pem(chain.issuer), 'root.pem': pem(chain.root) };
  return withFiles(files, async (file) => {
    const run = await runTool('openssl', ['ocsp', '-issuer', file('ca.pem'), '-cert', file('sim.pem'), '-url', url, '-CAfile', file('root.pem')], {
      installHint: INSTALL_HINT,
    });
    const output = `${run.stdout}${run.stderr}`;
    // openssl prints "<file>: good|revoked|unknown" once it believes the answer ("Response verify OK").
    const status = /: (good|revoked|unknown)\s*$/m.exec(run.stdout)?.[1] as OpensslOcspVerdict['status'] | undefined;
    if (run.code !== 0 || !status || !/Response verify OK/.test(output)) {
      throw new ExternalToolError(
        'openssl',
        `openssl ocsp did not believe or did not get an answer (exit ${run.code}): ${output.trim().slice(-400)}`,
      );
    }
    const reason = /Reason: (\S+)/.exec(run.stdout)?.[1];
    return { status, ...(reason ? { reason } : {}), output };
  });
}

/** `openssl verify -crl_check -CAfile root.pem -untrusted ca.pem -CRLfile crl.pem sim.pem`: the CRL is the SIM CA's (DER). */
export async function opensslVerifyWithCrl(chain: OpensslChain, crl: Uint8Array): Promise<OpensslVerifyVerdict> {
  const body = Buffer.from(crl).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n');
  const crlPem = `-----BEGIN X509 CRL-----\n${body}-----END X509 CRL-----\n`;
  const files = { 'sim.pem': pem(chain.certificate), 'ca.pem': pem(chain.issuer), 'root.pem': pem(chain.root), 'crl.pem': crlPem };
  return withFiles(files, async (file) => {
    const args = ['verify', '-crl_check', '-CAfile', file('root.pem'), '-untrusted', file('ca.pem'), '-CRLfile', file('crl.pem'), file('sim.pem')];
    const run = await runTool('openssl', args, { installHint: INSTALL_HINT });
    const output = `${run.stdout}${run.stderr}`;
    if (run.code === 0 && /: OK\s*$/m.test(run.stdout)) return { ok: true, output };
    const error = /error \d+ at \d+ depth lookup: (.+)$/m.exec(output)?.[1]?.trim();
    return { ok: false, ...(error ? { error } : {}), output };
  });
}
