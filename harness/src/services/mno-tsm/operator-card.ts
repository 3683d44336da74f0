/**
 * The operator's session with its own SIM's issuer security domain, as its card profile says: the ISD's
 * AID, SCP02 or SCP03 with its i-parameter, the key version, the master keys and how they are diversified
 * per card. A card that cannot show it holds those keys is not this operator's SIM: the host checks the card
 * cryptogram of INITIALIZE UPDATE before it authenticates itself, so such a card is left before EXTERNAL
 * AUTHENTICATE, the command whose failures count towards locking a card's ISD.
 */
import { CardStatusError } from '../../errors.js';
import { CardCryptogramError, HostAuthenticationError, SecureChannelProtocolError } from '../../gp/errors.js';
import type { CardProfile } from '../../gp/card-profile.js';
import { GpSession } from '../../gp/session.js';
import type { Transport } from '../../transport/transport.js';
import { OtherOperatorRefused } from './refusals.js';

export async function openOperatorIsd(card: Transport, profile: CardProfile): Promise<GpSession> {
  try {
    return await GpSession.open(card, {
      keys: profile.keys,
      diversification: profile.diversification,
      scp: profile.scp,
      i: profile.i,
      securityLevel: profile.securityLevel,
      sdAid: profile.isdAid,
      s16: profile.s16,
    });
  } catch (error) {
    // No such ISD, no such key version, another secure channel, or a card cryptogram from other keys: all
    // before this host authenticated, so nothing on the card changed and no authentication failure counted.
    const beforeAuthentication =
      error instanceof CardCryptogramError ||
      error instanceof SecureChannelProtocolError ||
      (error instanceof CardStatusError && !(error instanceof HostAuthenticationError));
    if (beforeAuthentication) {
      const reason = (error as Error).message;
      throw new OtherOperatorRefused(`the SIM's issuer security domain does not answer to this operator's keys (${reason}): nothing changed on it`);
    }
    throw error;
  }
}
