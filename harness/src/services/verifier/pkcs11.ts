/**
 * The card-emulation use case with an independent client: unmodified OpenSC (its PKCS#11 module, driven
 * by pkcs11-tool) talks to the SIM exactly as it talks to a My Number card — its own JPKI driver, its own
 * PIN handling, its own certificate reading — and this module only judges what OpenSC hands back: the
 * signature over a fresh challenge, the chain to the JPKI root and the revocation status (OCSP). So a
 * verdict here does not depend on the harness's own APDUs at all.
 */
import { createVerify, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ToolMissingError } from '../../errors.js';
import { checkOcsp, type OcspResult } from '../jpki-system/ocsp-client.js';
import type { Authentication } from './card-emulation.js';
import { checkChain, ocspUrlOf } from './check.js';
import { ExternalToolError, runTool } from './external-tool.js';

/** Where Debian's opensc package puts the module, per architecture. */
export const OPENSC_PKCS11_MODULES: readonly string[] = [
  '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so',
  '/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so',
  '/usr/lib/opensc-pkcs11.so',
];

/**
 * Object ids of OpenSC's JPKI emulation (pkcs15-jpki.c): 01 is the user-authentication certificate
 * (EF 000A) and its key (EF 0017, PIN 01), 03 the certificate of its CA (EF 000B).
 */
export const JPKI_AUTHENTICATION_ID = '01';
export const JPKI_AUTHENTICATION_CA_ID = '03';

/**
 * OpenSC makes one PKCS#11 token per PIN of the card; the user-authentication one has this label. Every JPKI
 * token has the serial 00000000, so with two JPKI cards present only the reader tells them apart.
 */
export const JPKI_AUTHENTICATION_TOKEN = 'JPKI (User Authentication PIN)';

const INSTALL_HINT = 'install OpenSC (apt-get install opensc)';
/** The PIN reaches pkcs11-tool as `--pin env:…`: the value is in neither argv nor any log. */
const PIN_VARIABLE = 'JPKI_PKCS11_PIN';

export interface Pkcs11Options {
  readonly root: Uint8Array;
  /**
   * The user's PIN, also for a PIN-less credential: OpenSC's JPKI emulation marks the key private and the
   * token login-required whatever the SIM's policy, so without C_Login it finds no key to sign with.
   */
  readonly pin: string;
  readonly now?: Date;
  /** The PKCS#11 module; default OpenSC's, found where Debian installs it. */
  readonly module?: string;
  /** The PC/SC reader holding the SIM (OpenSC's slot description); default the token labelled JPKI_AUTHENTICATION_TOKEN. */
  readonly reader?: string;
  /** pkcs11-tool, when it is not on the PATH. */
  readonly tool?: string;
  /** Per pkcs11-tool call (default 60 s). */
  readonly timeoutMs?: number;
}

/** The first of Debian's module paths that exists. */
export function findOpenscModule(): string | undefined {
  return OPENSC_PKCS11_MODULES.find((m) => existsSync(m));
}

function resolveModule(module: string | undefined): string {
  const found = module ?? findOpenscModule();
  if (found === undefined) throw new ToolMissingError('opensc-pkcs11.so', `not found in ${OPENSC_PKCS11_MODULES.join(', ')}: ${INSTALL_HINT}`);
  if (!existsSync(found)) throw new ToolMissingError(found, `no such PKCS#11 module: ${INSTALL_HINT}, or name the module`);
  return found;
}

/**
 * One pkcs11-tool invocation against the SIM's slot, logged in when `login`; a non-zero exit is an
 * ExternalToolError naming the step. Reading the certificates needs no login: they are public objects.
 */
async function pkcs11Tool(step: string, args: readonly string[], options: Pkcs11Options, module: string, login = false): Promise<void> {
  // A reader has two slots, one per PIN token: the user-authentication token is the first (OpenSC adds the
  // PINs in the order of pkcs15-jpki.c), which is the one --slot-description picks.
  const slot = options.reader !== undefined ? ['--slot-description', options.reader] : ['--token-label', JPKI_AUTHENTICATION_TOKEN];
  const credentials = login ? ['--login', '--pin', `env:${PIN_VARIABLE}`] : [];
  const program = options.tool ?? 'pkcs11-tool';
  const run = await runTool(program, ['--module', module, ...slot, ...credentials, ...args], {
    installHint: INSTALL_HINT,
    env: { [PIN_VARIABLE]: options.pin },
    secrets: [options.pin],
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  if (run.code !== 0) {
    const said = `${run.stderr}\n${run.stdout}`.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
    throw new ExternalToolError(program, `OpenSC could not ${step}: ${program} exited ${run.code}: ${said}`);
  }
}

/**
 * Has OpenSC read the certificates and sign a fresh 32-byte challenge with the user-authentication key
 * (CKM_SHA256_RSA_PKCS: OpenSC hashes, the card pads and signs the DigestInfo), then checks signature,
 * chain and OCSP. `signMs` is the whole pkcs11-tool sign call: OpenSC's start-up, C_Login and the card's
 * signature.
 */
export async function authenticateWithPkcs11(options: Pkcs11Options): Promise<Authentication> {
  const module = resolveModule(options.module);
  const started = performance.now();
  const work = await mkdtemp(path.join(tmpdir(), 'jpki-pkcs11-'));
  try {
    const file = (name: string): string => path.join(work, name);
    const challenge = randomBytes(32);
    await writeFile(file('challenge.bin'), challenge, { mode: 0o600 });
    await pkcs11Tool(
      'read the certificate',
      ['--read-object', '--type', 'cert', '--id', JPKI_AUTHENTICATION_ID, '--output-file', file('cert.der')],
      options,
      module,
    );
    await pkcs11Tool(
      'read the CA certificate',
      ['--read-object', '--type', 'cert', '--id', JPKI_AUTHENTICATION_CA_ID, '--output-file', file('ca.der')],
      options,
      module,
    );
    const signStarted = performance.now();
    const signArgs = [
      '--sign',
      '--mechanism',
      'SHA256-RSA-PKCS',
      '--id',
      JPKI_AUTHENTICATION_ID,
      '--input-file',
      file('challenge.bin'),
      '--output-file',
      file('signature.bin'),
    ];
    await pkcs11Tool('sign', signArgs, options, module, true);
    const signMs = performance.now() - signStarted;
    const certificate = new Uint8Array(await readFile(file('cert.der')));
    const issuer = new Uint8Array(await readFile(file('ca.der')));
    const signature = await readFile(file('signature.bin'));
    return await judge({ certificate, issuer, challenge, signature, signMs, started }, options);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

interface Evidence {
  readonly certificate: Uint8Array;
  readonly issuer: Uint8Array;
  readonly challenge: Uint8Array;
  readonly signature: Uint8Array;
  readonly signMs: number;
  readonly started: number;
}

/** The relying party's verdict on what OpenSC handed back; the same checks, in the same order, as card emulation. */
async function judge(e: Evidence, options: Pkcs11Options): Promise<Authentication> {
  const cert = new X509Certificate(e.certificate);
  const base = { serial: cert.serialNumber, subject: cert.subject.replace(/\n/g, ', '), signMs: e.signMs };
  const refuse = (reason: string, ocsp?: OcspResult): Authentication => ({
    ...base,
    accepted: false,
    reason,
    ...(ocsp ? { ocsp } : {}),
    totalMs: performance.now() - e.started,
  });
  const verifier = createVerify('sha256');
  verifier.update(e.challenge);
  if (!verifier.verify(cert.publicKey, e.signature)) return refuse('the signature does not verify with the certificate');
  const chain = checkChain(e.certificate, e.issuer, options.root, options.now);
  if (chain !== 'ok') return refuse(`certificate ${chain}`);
  const url = ocspUrlOf(e.certificate);
  if (!url) return refuse('the certificate names no OCSP responder');
  const ocsp = await checkOcsp(e.certificate, e.issuer, url);
  if (ocsp.status !== 'good') return refuse(`OCSP: ${ocsp.status}${ocsp.reason ? ` (${ocsp.reason})` : ''}`, ocsp);
  return { ...base, accepted: true, ocsp, totalMs: performance.now() - e.started };
}
