package org.jpkisim.gp.card;

import java.util.HexFormat;
import javacard.framework.APDU;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;

/**
 * The card's Controlling Authority Security Domain (GP Card Specification Amendment A), reduced to
 * what the card's authority needs: it is in the registry as a security domain (AID A000000151535041,
 * privileges security domain + global service), answers SELECT with its FCI, and GET DATA for its
 * certificate ({@code 80 CA 7F 21 00}: {@code 7F21 <BER length> <X.509 DER>}) and the card's identity
 * ({@code 0042} IIN, {@code 0045} CIN, {@code 9F7F} CPLC, {@code 00CF} KDD). The certificate is longer
 * than a short response: the first 256 bytes come with {@code 61xx} and the rest with GET RESPONSE
 * ({@code 00 C0 00 00 Le}), as a card answers a short case-2 command. Its Authority service
 * (signing in the calling application's name) is {@link CasdAuthority}. It opens no secure channel
 * and manages no content.
 */
public final class ControllingAuthorityDomain extends IssuerSecurityDomain {
    public static final byte[] AID = HexFormat.of().parseHex("A000000151535041");
    /** Security domain (byte 1 bit 8) and Global Service (byte 2 bit 1): its Authority is a global service. */
    static final byte[] PRIVILEGES = {(byte) 0x80, 0x01, 0x00};
    private static final short TAG_CERTIFICATE = 0x7F21;

    private final GpCard card;
    /** A long answer in progress: what GET RESPONSE still has to give. */
    private byte[] pending;
    private int pendingOffset;

    ControllingAuthorityDomain(GpCard card) {
        super(card);
        this.card = card;
    }

    public static void install(byte[] parameters, short offset, byte length) {
        ControllingAuthorityDomain casd = new ControllingAuthorityDomain(GpCard.installing());
        casd.register(parameters, (short) (offset + 1), parameters[offset]);
    }

    @Override
    public void process(APDU apdu) {
        byte[] buffer = apdu.getBuffer();
        byte ins = buffer[ISO7816.OFFSET_INS];
        if (selectingApplet()) {
            pending = null;
            sendFci(apdu);
            return;
        }
        if ((buffer[ISO7816.OFFSET_CLA] & 0x7C) != 0) {
            // no secure messaging and no logical-channel-free classes beyond 00/80 (+ channel bits)
            ISOException.throwIt(ISO7816.SW_CLA_NOT_SUPPORTED);
        }
        if (ins == (byte) 0xC0 && (buffer[ISO7816.OFFSET_CLA] & 0x80) == 0) {
            getResponse(apdu);
            return;
        }
        pending = null;
        if (ins == ISO7816.INS_SELECT && (buffer[ISO7816.OFFSET_CLA] & 0x80) == 0) {
            ISOException.throwIt(ISO7816.SW_FILE_NOT_FOUND);
        }
        if (ins != (byte) 0xCA) {
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
        int tag = ((buffer[ISO7816.OFFSET_P1] & 0xFF) << 8) | (buffer[ISO7816.OFFSET_P2] & 0xFF);
        byte[] answer;
        if (tag == TAG_CERTIFICATE) {
            byte[] certificate = card.identity().casd().certificate();
            byte[] length = berLength(certificate.length);
            answer = new byte[2 + length.length + certificate.length];
            answer[0] = 0x7F;
            answer[1] = 0x21;
            System.arraycopy(length, 0, answer, 2, length.length);
            System.arraycopy(certificate, 0, answer, 2 + length.length, certificate.length);
        } else {
            answer = card.identity().dataObject(tag);
        }
        if (answer == null) {
            ISOException.throwIt((short) 0x6A88);
            return;
        }
        pending = answer;
        pendingOffset = 0;
        sendPending(apdu);
    }

    private void getResponse(APDU apdu) {
        byte[] buffer = apdu.getBuffer();
        if (pending == null) {
            ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
        }
        if (buffer[ISO7816.OFFSET_P1] != 0 || buffer[ISO7816.OFFSET_P2] != 0) {
            pending = null;
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        sendPending(apdu);
    }

    /** Up to Le (256 for 00) bytes of the pending answer; 61xx says how much is left. */
    private void sendPending(APDU apdu) {
        short le = apdu.setOutgoing();
        int max = le <= 0 || le > 256 ? 256 : le;
        int n = Math.min(max, pending.length - pendingOffset);
        apdu.setOutgoingLength((short) n);
        apdu.sendBytesLong(pending, (short) pendingOffset, (short) n);
        pendingOffset += n;
        int left = pending.length - pendingOffset;
        if (left == 0) {
            pending = null;
            return;
        }
        card.finishWith(0x6100 | Math.min(left, 256) & 0xFF);
    }

    private static byte[] berLength(int n) {
        if (n < 0x80) {
            return new byte[] {(byte) n};
        }
        if (n < 0x100) {
            return new byte[] {(byte) 0x81, (byte) n};
        }
        return new byte[] {(byte) 0x82, (byte) (n >> 8), (byte) n};
    }
}
