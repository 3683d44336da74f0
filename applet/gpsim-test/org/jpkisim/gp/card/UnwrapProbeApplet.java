package org.jpkisim.gp.card;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.MultiSelectable;
import javacard.framework.Util;
import org.globalplatform.GPSystem;
import org.globalplatform.SecureChannel;

/**
 * Shows what SecureChannel.unwrap() hands an applet: INITIALIZE UPDATE / EXTERNAL AUTHENTICATE go to
 * the security domain; INS 20 answers the security level; any other command is received, passed through
 * unwrap(), and answered with the security level followed by the command exactly as unwrap() left it
 * (an exception from unwrap() becomes the status word). Multiselectable, so it can be selected on several
 * logical channels at once.
 */
public final class UnwrapProbeApplet extends Applet implements MultiSelectable {
    @Override
    public boolean select(boolean appInstAlreadyActive) {
        return true;
    }

    @Override
    public void deselect(boolean appInstStillActive) {
    }

    public static void install(byte[] parameters, short offset, byte length) {
        new UnwrapProbeApplet().register(parameters, (short) (offset + 1), parameters[offset]);
    }

    @Override
    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buffer = apdu.getBuffer();
        SecureChannel channel = GPSystem.getSecureChannel();
        switch (buffer[ISO7816.OFFSET_INS]) {
            case 0x50:
            case (byte) 0x82:
                short n = channel.processSecurity(apdu);
                apdu.setOutgoingAndSend(ISO7816.OFFSET_CDATA, n);
                return;
            case 0x20:
                buffer[0] = channel.getSecurityLevel();
                apdu.setOutgoingAndSend((short) 0, (short) 1);
                return;
            default:
                short lc = apdu.setIncomingAndReceive();
                short length = channel.unwrap(buffer, (short) 0, (short) (ISO7816.OFFSET_CDATA + lc));
                byte[] out = new byte[length + 1];
                out[0] = channel.getSecurityLevel();
                Util.arrayCopyNonAtomic(buffer, (short) 0, out, (short) 1, length);
                Util.arrayCopyNonAtomic(out, (short) 0, buffer, (short) 0, (short) out.length);
                apdu.setOutgoingAndSend((short) 0, (short) out.length);
        }
    }
}
