import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readCardAuthorityCertificate } from '../src/gp/card-authority.js';
import { GpSession } from '../src/gp/session.js';
import { JPKI_AID } from '../src/jpki/client/client.js';
import { AppletAdministration, personalise } from '../src/jpki/sp-tsm/personalise.js';
import { attestCard, openAdminSession, testContentKeysFor, TEST_GP_KEYS } from '../src/jpki/test-ca/test-material.js';
import { TestCertificateAuthority } from '../src/jpki/test-ca/test-ca.js';
import { packageRoot } from '../src/package-root.js';
import { SimTransport } from '../src/transport/sim.js';
import { timingStats as summarise } from '../src/stats.js';
import { formatSummary } from './format.js';

/**
 * What the end-to-end layer costs (docs/personalisation.md): per fresh simulated card over the
 * direct link, the first READ ATTESTATION (on-card RSA-2048 key generation and the CASD's
 * signature), the host's checks of CASD chain and attestation, SET CONTENT KEYS (RSA decryption on
 * the card), and the whole personalisation with an imported key; the establishment as a share of
 * the whole, measured on the same card in the same minute.
 */
const now = (): number => Number(process.hrtime.bigint()) / 1e6;

export async function benchPersonalisation(cards: number): Promise<void> {
  const certs = path.join(packageRoot(), 'test-vectors', 'certs');
  const ca = await TestCertificateAuthority.load(certs);
  const userKey = readFileSync(path.join(certs, 'test-auth.key.pem'));
  const certificate = readFileSync(path.join(certs, 'test-auth.der'));
  const attestMs: number[] = [];
  const establishMs: number[] = [];
  const personaliseMs: number[] = [];
  const shares: number[] = [];
  for (let i = 0; i < cards; i++) {
    const fresh = await SimTransport.open();
    try {
      // The simulated CASD makes its own key pair on first use (a real card has it from the factory):
      // one GET DATA 7F21 first keeps that out of the figure.
      await readCardAuthorityCertificate(fresh);
      let t = now();
      const { attestation } = await attestCard(fresh);
      attestMs.push(now() - t);
      const keys = testContentKeysFor(attestation);
      let session: GpSession = await openAdminSession(fresh);
      t = now();
      await AppletAdministration.open(session, keys, attestation);
      const establish = now() - t;
      establishMs.push(establish);
      await session.end();
      session = await GpSession.open(fresh, { keys: TEST_GP_KEYS, securityLevel: 0x13, sdAid: JPKI_AID, diversification: 'kdf3' });
      t = now();
      await personalise(session, { contentKeys: keys, key: { import: userKey }, certificate, caCertificate: ca.der, pin: '1234' });
      const whole = now() - t + establish;
      personaliseMs.push(whole);
      shares.push(establish / whole);
      await session.end();
    } finally {
      await fresh.close();
    }
  }
  console.log(`\nEnd-to-end key establishment, ${cards} fresh simulated cards (direct link):`);
  console.log(formatSummary('attestation (first read: key pair + CASD signature, host checks)', summarise(attestMs)));
  console.log(formatSummary('SET CONTENT KEYS (key transport, check value)', summarise(establishMs)));
  console.log(formatSummary('personalisation incl. establishment (imported key)', summarise(personaliseMs)));
  const s = summarise(shares);
  console.log(`establishment / whole personalisation: median ${s.median.toFixed(2)} (min ${s.min.toFixed(2)}, p95 ${s.p95.toFixed(2)})`);
}
