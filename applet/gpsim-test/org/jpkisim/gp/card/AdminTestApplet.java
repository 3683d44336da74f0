package org.jpkisim.gp.card;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import org.globalplatform.GPSystem;
import org.globalplatform.SecureChannel;

/**
 * An applet written the way a personalisable applet is on a UICC: INITIALIZE UPDATE and EXTERNAL
 * AUTHENTICATE go to its security domain's SecureChannel; its one admin command (INS 10, echoes
 * the data reversed) requires AUTHENTICATED + C-MAC + C-DECRYPTION; INS 20 reports the security level
 * without any channel. Used to show that the GP API works for an applet under the ISD.
 */
public final class AdminTestApplet extends Applet implements org.globalplatform.Application {
    static final byte INS_PERSONALIZATION = 0x30;
    private final byte[] personalization = new byte[64];
    private short personalizationLength;

    /** STORE DATA forwarded by the security domain: keeps the data of the last block. */
    @Override
    public void processData(byte[] buffer, short offset, short length) {
        short n = (short) (buffer[(short) (offset + ISO7816.OFFSET_LC)] & 0xFF);
        if (n > personalization.length) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        javacard.framework.Util.arrayCopy(buffer, (short) (offset + ISO7816.OFFSET_CDATA), personalization, (short) 0, n);
        personalizationLength = n;
    }

    static final byte INS_ADMIN = 0x10;
    static final byte INS_LEVEL = 0x20;

    public static void install(byte[] parameters, short offset, byte length) {
        new AdminTestApplet().register(parameters, (short) (offset + 1), parameters[offset]);
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
            case INS_LEVEL:
                buffer[0] = channel.getSecurityLevel();
                apdu.setOutgoingAndSend((short) 0, (short) 1);
                return;
            case INS_ADMIN:
                admin(apdu, channel);
                return;
            case INS_PERSONALIZATION:
                javacard.framework.Util.arrayCopyNonAtomic(personalization, (short) 0, buffer, (short) 0, personalizationLength);
                apdu.setOutgoingAndSend((short) 0, personalizationLength);
                return;
            default:
                ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
    }

    private void admin(APDU apdu, SecureChannel channel) {
        byte[] buffer = apdu.getBuffer();
        // unwrap() leaves a command without the secure-messaging bit untouched, so the applet checks it.
        boolean secured = (buffer[ISO7816.OFFSET_CLA] & 0x04) != 0;
        short lc = apdu.setIncomingAndReceive();
        channel.unwrap(buffer, (short) 0, (short) (ISO7816.OFFSET_CDATA + lc));
        byte required = (byte) (SecureChannel.AUTHENTICATED | SecureChannel.C_MAC | SecureChannel.C_DECRYPTION);
        if (!secured || (channel.getSecurityLevel() & required) != required) {
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        short dataLength = (short) (buffer[ISO7816.OFFSET_LC] & 0xFF);
        for (short i = 0; i < dataLength; i++) {
            buffer[i] = buffer[(short) (ISO7816.OFFSET_CDATA + dataLength - 1 - i)];
        }
        buffer[dataLength] = (byte) 0x90;
        buffer[(short) (dataLength + 1)] = 0x00;
        short wrapped = channel.wrap(buffer, (short) 0, (short) (dataLength + 2));
        apdu.setOutgoingAndSend((short) 0, wrapped);
    }
}
