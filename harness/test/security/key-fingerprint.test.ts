import { GpSession } from '../../src/gp/session.js';
import { JPKI_AID } from '../../src/jpki/client/client.js';
import { AppletAdministration, PersonalisationError } from '../../src/jpki/sp-tsm/personalise.js';
import { attestCard, testContentKeysFor, TEST_GP_KEYS } from '../../src/jpki/test-ca/test-material.js';
import { SimTransport } from '../../src/transport/sim.js';
import type { Transport, TransmitOptions } from '../../src/transport/transport.js';
import { announceSkip, PassThroughTransport, simulatorJarBuilt } from '../support.js';

/**
 * Someone on the path with the security domain's keys (docs/threat-model.md, finding "fingerprint")
 * swaps the fingerprint GENERATE KEY PAIR answers, to have their own public key certified instead:
 * the applet's answer tag under K-MAC gives it away.
 */
const reason = simulatorJarBuilt() ? undefined : 'build/jpki-simulator.jar is missing (run ant simulator)';
if (reason) announceSkip('the swapped key fingerprint', reason);

/** Flips a byte of the data answering one instruction, inside the secure channel. */
class Swapper extends PassThroughTransport {
  constructor(
    inner: Transport,
    private readonly ins: number,
  ) {
    super(inner);
  }
  override async transmit(command: Uint8Array, options?: TransmitOptions): Promise<Uint8Array> {
    const response = await this.inner.transmit(command, options);
    if (command[1] === this.ins && response.length > 2) {
      const swapped = Uint8Array.from(response);
      swapped[0] = swapped[0]! ^ 0x01;
      return swapped;
    }
    return response;
  }
}

(reason ? describe.skip : describe)('GENERATE KEY PAIR answers with the SP-TSM tag', () => {
  test('a swapped fingerprint is detected; the real answer is accepted', async () => {
    const card = await SimTransport.open();
    try {
      const { attestation } = await attestCard(card);
      const keys = testContentKeysFor(attestation);
      const open = (): Promise<GpSession> =>
        GpSession.open(card, { keys: TEST_GP_KEYS, securityLevel: 0x33, sdAid: JPKI_AID, diversification: 'kdf3' });
      let session = await open();
      const tampered = await AppletAdministration.open(new Swapper(session, 0x46), keys, attestation);
      await expect(tampered.generateKeyPair()).rejects.toThrow(PersonalisationError);
      await session.end();
      session = await open();
      const honest = await AppletAdministration.open(session, keys);
      expect(await honest.generateKeyPair()).toMatch(/^[0-9A-F]{64}$/);
      await session.end();
    } finally {
      await card.close();
    }
  });
});
