/**
 * The two GlobalPlatform sessions a compatibility run opens with a card's profile: one with the card's ISD (or
 * another security domain) for content management, and the SP-TSM's administration session through the JPKI
 * applet for personalisation. One place, so the matrix and the suites that drive a persona through another
 * link (pcscd) open them the same way.
 */
import { JPKI_AID } from '../jpki/client/client.js';
import { GpSession } from '../gp/session.js';
import type { CardProfile } from '../gp/card-profile.js';
import type { Transport } from '../transport/transport.js';

/** A session with the card's ISD (or the security domain `sdAid`), with the profile's keys and secure channel. */
export function openIsdSession(transport: Transport, profile: CardProfile, sdAid: Uint8Array = profile.isdAid): Promise<GpSession> {
  return GpSession.open(transport, {
    keys: profile.keys,
    diversification: profile.diversification,
    scp: profile.scp,
    i: profile.i,
    securityLevel: profile.securityLevel,
    sdAid,
    s16: profile.s16,
  });
}

/** The SP-TSM's administration session through the applet: the profile's channel with C-MAC + C-DECRYPTION at least. */
export function openAdminSession(transport: Transport, profile: CardProfile): Promise<GpSession> {
  return GpSession.open(transport, {
    keys: profile.keys,
    diversification: profile.diversification,
    scp: profile.scp,
    i: profile.i,
    securityLevel: profile.securityLevel | 0x03,
    sdAid: JPKI_AID,
    s16: profile.s16,
  });
}
