package org.jpkisim.gp.card;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import org.globalplatform.GPSystem;

/** INS 10: GPSystem.lockCard(), INS 20: GPSystem.terminateCard(); answers the result (01/00) and the card state. */
public final class CardLockTestApplet extends Applet {
    public static void install(byte[] parameters, short offset, byte length) {
        new CardLockTestApplet().register(parameters, (short) (offset + 1), parameters[offset]);
    }

    @Override
    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buffer = apdu.getBuffer();
        boolean done = buffer[ISO7816.OFFSET_INS] == 0x10 ? GPSystem.lockCard() : GPSystem.terminateCard();
        buffer[0] = (byte) (done ? 1 : 0);
        buffer[1] = GPSystem.getCardState();
        apdu.setOutgoingAndSend((short) 0, (short) 2);
    }
}
