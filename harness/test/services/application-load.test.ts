import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startIssuanceSystem } from '../../src/services/issuance-system.js';
import {
  applicantKeys,
  countStored,
  planApplications,
  sendApplications,
  simulatedSimCertificates,
  splitDuplicates,
  throwawaySigners,
  type ApplicantKey,
} from '../../src/services/load/application-load.js';
import { announceSkip, simulatorJarBuilt } from '../support.js';
import { testDatabases } from './databases.js';

if (!simulatorJarBuilt()) announceSkip('application load', 'simulator jar missing (ant simulator)');
const run = simulatorJarBuilt() ? test : test.skip;

const APPLICANTS = 40;
// Load on a small machine: a cheaper password hash than a deployment's (the cost is not what is tested here).
const CHEAP_HASH = { N: 1 << 12, r: 8, p: 1 };

describe.each(testDatabases('application load'))('$name: 40 applicants apply at once', (database) => {
  let keys: ApplicantKey[];
  let sims: Uint8Array[];
  beforeAll(async () => {
    if (!simulatorJarBuilt()) return;
    [keys, sims] = await Promise.all([applicantKeys(5), simulatedSimCertificates(1)]);
  });

  // Unadmitted: every application at once, so the twins race to the unique digest in the database itself.
  const cases = [
    { keyGeneration: 'on-card', admitted: true },
    { keyGeneration: 'on-card', admitted: false },
    { keyGeneration: 'jpki-system', admitted: true },
  ] as const;
  for (const { keyGeneration, admitted } of cases) {
    run(
      `key generation ${keyGeneration}${admitted ? '' : ', no admission limit'}: every request succeeds, every application is stored once, ` +
        'a tenth sent twice at once collapse to one',
      async () => {
        const created = await database.create();
        const dataDirectory = mkdtempSync(path.join(tmpdir(), 'jpki-load-'));
        const system = await startIssuanceSystem({
          database: created.url,
          dataDirectory,
          passwordHashParameters: CHEAP_HASH,
          ...(admitted ? {} : { applicationConcurrency: Number.MAX_SAFE_INTEGER }),
        });
        try {
          const signers = await throwawaySigners(system.urls['jpki-system']!, keys);
          const planned = await planApplications({
            applicants: APPLICANTS,
            keyGeneration,
            signers,
            simCertificates: sims,
            contactPrefix: keyGeneration,
          });
          const twice = planned.filter((p) => p.twice);
          expect(twice).toHaveLength(APPLICANTS / 10);

          const result = await sendApplications(system.urls['sp-tsm']!, planned, 120_000);
          expect(result.responses).toHaveLength(APPLICANTS + twice.length);
          expect(result.responses.filter((r) => r.status !== 200 && r.status !== 201).map((r) => `${r.status} ${r.error ?? ''}`)).toEqual([]);
          // One 201 per application; the second of a pair is answered as the duplicate of the first.
          for (const p of planned) {
            const answers = result.responses.filter((r) => r.digest === p.digest);
            expect(answers.filter((r) => r.status === 201)).toHaveLength(1);
            if (p.twice) expect(answers.filter((r) => r.status === 200 && r.duplicate === true)).toHaveLength(1);
          }
          expect(splitDuplicates(result)).toBe(0);

          const count = await countStored(system.database.db, planned);
          expect(count).toEqual({
            applications: APPLICANTS,
            distinctDigests: APPLICANTS,
            missing: 0,
            unexpected: 0,
            awaitingWrite: APPLICANTS,
            issuances: APPLICANTS,
            distinctIssuanceRequests: APPLICANTS,
          });
          // Each applicant got an access code for their application.
          for (const p of planned) {
            const id = result.responses.find((r) => r.digest === p.digest && r.status === 201)!.id!;
            expect(system.mailbox.latestAccessCode(p.contact, id)).toMatch(/^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/);
          }
        } finally {
          await system.close();
          await created.dispose();
          rmSync(dataDirectory, { recursive: true, force: true });
        }
      },
      240_000,
    );
  }
});
