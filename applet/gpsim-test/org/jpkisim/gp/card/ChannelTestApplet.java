package org.jpkisim.gp.card;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;

/**
 * Records how the runtime selects it: INS 10 answers select() calls, deselect() calls, the channel of
 * the APDU (APDU.getCLAChannel()), the assigned channel (JCSystem.getAssignedChannel()) and the value of
 * appInstAlreadyActive at the last MultiSelectable.select (FF when never called). Not multiselectable;
 * {@link Multi} is the same applet implementing MultiSelectable.
 */
public class ChannelTestApplet extends Applet {
    byte selects;
    byte deselects;
    byte lastAlreadyActive = (byte) 0xFF;

    public static void install(byte[] parameters, short offset, byte length) {
        new ChannelTestApplet().register(parameters, (short) (offset + 1), parameters[offset]);
    }

    @Override
    public boolean select() {
        selects++;
        return true;
    }

    @Override
    public void deselect() {
        deselects++;
    }

    @Override
    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buffer = apdu.getBuffer();
        if (buffer[ISO7816.OFFSET_INS] != 0x10) {
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
        buffer[0] = selects;
        buffer[1] = deselects;
        buffer[2] = APDU.getCLAChannel();
        buffer[3] = JCSystem.getAssignedChannel();
        buffer[4] = lastAlreadyActive;
        apdu.setOutgoingAndSend((short) 0, (short) 5);
    }

    /** The multiselectable variant. */
    public static final class Multi extends ChannelTestApplet implements javacard.framework.MultiSelectable {
        public static void install(byte[] parameters, short offset, byte length) {
            new Multi().register(parameters, (short) (offset + 1), parameters[offset]);
        }

        @Override
        public boolean select(boolean appInstAlreadyActive) {
            selects++;
            lastAlreadyActive = (byte) (appInstAlreadyActive ? 1 : 0);
            return true;
        }

        @Override
        public void deselect(boolean appInstStillActive) {
            deselects++;
        }
    }
}
