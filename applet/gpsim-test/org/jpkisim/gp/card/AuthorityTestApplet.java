package org.jpkisim.gp.card;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Shareable;
import javacard.security.CryptoException;
import org.globalplatform.Authority;
import org.globalplatform.GlobalService;
import org.globalplatform.GPSystem;

/**
 * An applet that asks the card's CASD to sign, as an applet certifying its own key would.
 * INS 10: sign the command data (first byte through update(), the rest through sign()), answer the
 * signature. INS 11: the same with the CASD named by AID. INS 12: init(MODE_KEY_RECOVERY), answers
 * the CryptoException reason as 2 bytes. INS 13: getService with another family; 9000 when it is null.
 */
public final class AuthorityTestApplet extends Applet {
    public static void install(byte[] parameters, short offset, byte length) {
        new AuthorityTestApplet().register(parameters, (short) (offset + 1), parameters[offset]);
    }

    @Override
    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buffer = apdu.getBuffer();
        short serviceName = (short) ((GPSystem.FAMILY_AUTHORITY & 0xFF) << 8);
        switch (buffer[ISO7816.OFFSET_INS]) {
            case 0x10:
            case 0x11: {
                short lc = apdu.setIncomingAndReceive();
                GlobalService service = buffer[ISO7816.OFFSET_INS] == 0x10 ? GPSystem.getService(null, serviceName)
                        : GPSystem.getService(JCSystem.lookupAID(ControllingAuthorityDomain.AID, (short) 0,
                                (byte) ControllingAuthorityDomain.AID.length), serviceName);
                Authority authority = (Authority) service.getServiceInterface(null, serviceName, buffer, (short) 0, (short) 0);
                authority.init(Authority.MODE_SIGN);
                byte[] data = new byte[lc];
                javacard.framework.Util.arrayCopyNonAtomic(buffer, ISO7816.OFFSET_CDATA, data, (short) 0, lc);
                authority.update(data, (short) 0, (short) 1);
                short n = authority.sign(data, (short) 1, (short) (lc - 1), buffer, (short) 0);
                apdu.setOutgoingAndSend((short) 0, n);
                return;
            }
            case 0x12: {
                Authority authority = (Authority) GPSystem.getService(null, serviceName)
                        .getServiceInterface(null, serviceName, buffer, (short) 0, (short) 0);
                try {
                    authority.init(Authority.MODE_KEY_RECOVERY);
                } catch (CryptoException e) {
                    javacard.framework.Util.setShort(buffer, (short) 0, e.getReason());
                    apdu.setOutgoingAndSend((short) 0, (short) 2);
                    return;
                }
                ISOException.throwIt(ISO7816.SW_UNKNOWN);
                return;
            }
            case 0x13:
                if (GPSystem.getService(null, (short) ((GPSystem.FAMILY_CVM & 0xFF) << 8)) != null) {
                    ISOException.throwIt(ISO7816.SW_UNKNOWN);
                }
                return;
            default:
                ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
    }
}
