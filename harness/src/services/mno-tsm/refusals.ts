/** Why the MNO-TSM stops an installation on a SIM. */
import { HarnessError } from '../../errors.js';

export class InstallationRefused extends HarnessError {
  readonly exitCode = 4;
}

/** Another SIM than the one named: refused before anything on it changed, so the installation still waits for the right one. */
export class OtherSimRefused extends InstallationRefused {}

/**
 * A SIM this operator did not issue (its certified IIN is another issuer's, or its ISD does not answer to
 * this operator's keys): refused before anything on it changed, and the installation stays open as for
 * another SIM.
 */
export class OtherOperatorRefused extends OtherSimRefused {}
