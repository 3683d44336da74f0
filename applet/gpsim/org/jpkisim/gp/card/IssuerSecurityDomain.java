package org.jpkisim.gp.card;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.MultiSelectable;
import javacard.framework.Util;
import org.globalplatform.GPSystem;
import org.globalplatform.SecureChannel;
import org.jpkisim.gp.keys.KeyRepository;
import org.jpkisim.gp.keys.ScpKeySet;
import org.jpkisim.gp.scp.SecureMessaging;

/**
 * The issuer security domain as an applet on jCardSim. It opens secure channels through the very
 * SecureChannel API other applets use, answers SELECT with its FCI and GET DATA for the key
 * information template and card recognition data. Card content management comes on top of this.
 * Multiselectable: it is the card's default application, so MANAGE CHANNEL OPEN from the basic channel
 * selects it on the new channel while it stays selected on the basic channel (JCRE 4.5.1).
 */
public class IssuerSecurityDomain extends Applet implements MultiSelectable {
    private static final byte INS_GET_DATA = (byte) 0xCA;
    /** Largest command data field the ISD accepts (FCI tag 9F65), a short APDU's 255 bytes. */
    private static final byte MAX_BLOCK = (byte) 0xFF;
    private static final short SW_REFERENCED_DATA_NOT_FOUND = (short) 0x6A88;

    private final GpCard card;
    private byte[] ownAid;
    /** EF ICCID (2FE2) selected while the ISD is the current application: READ BINARY reads it. */
    private boolean iccidSelected;

    protected IssuerSecurityDomain(GpCard card) {
        this.card = card;
    }

    public static void install(byte[] parameters, short offset, byte length) {
        IssuerSecurityDomain isd = new IssuerSecurityDomain(GpCard.installing());
        isd.register(parameters, (short) (offset + 1), parameters[offset]);
    }

    @Override
    public boolean select(boolean appInstAlreadyActive) {
        return true;
    }

    @Override
    public void deselect(boolean appInstStillActive) {
        // its secure-channel session belongs to the application and ends when no channel has it selected
    }

    private byte[] ownAid() {
        if (ownAid == null) {
            byte[] aid = new byte[16];
            byte n = JCSystem.getAID().getBytes(aid, (short) 0);
            ownAid = java.util.Arrays.copyOf(aid, n);
        }
        return ownAid;
    }

    private KeyRepository keys() {
        return card.content().keysFor(ownAid());
    }

    @Override
    public void process(APDU apdu) {
        byte[] buffer = apdu.getBuffer();
        if (selectingApplet()) {
            iccidSelected = false;
            sendFci(apdu);
            return;
        }
        if (isIssuer() && (buffer[ISO7816.OFFSET_CLA] & 0xFC) == 0 && iccid(apdu)) {
            return;
        }
        if (buffer[ISO7816.OFFSET_INS] == ISO7816.INS_SELECT && (buffer[ISO7816.OFFSET_CLA] & 0xFC) == 0) {
            // A SELECT that found no application reaches the selected security domain: nothing by that name.
            ISOException.throwIt(ISO7816.SW_FILE_NOT_FOUND);
        }
        if ((buffer[ISO7816.OFFSET_CLA] & 0x80) == 0) {
            ISOException.throwIt(ISO7816.SW_CLA_NOT_SUPPORTED);
        }
        if (SecureMessaging.of(buffer[ISO7816.OFFSET_CLA]) == SecureMessaging.UNPROCESSED) {
            // ISO secure messaging forms (CLA 88-8F, E0-EF): nothing here verifies them.
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        SecureChannel channel = GPSystem.getSecureChannel();
        switch (buffer[ISO7816.OFFSET_INS]) {
            case CardSecureChannel.INS_INITIALIZE_UPDATE:
            case CardSecureChannel.INS_EXTERNAL_AUTHENTICATE:
                short length = channel.processSecurity(apdu);
                apdu.setOutgoingAndSend(ISO7816.OFFSET_CDATA, length);
                return;
            case INS_GET_DATA:
                getData(apdu, channel);
                return;
            case (byte) 0xE6: // INSTALL
            case (byte) 0xE8: // LOAD
            case (byte) 0xE4: // DELETE
            case (byte) 0xF2: // GET STATUS
            case (byte) 0xF0: // SET STATUS
            case (byte) 0xD8: // PUT KEY
            case (byte) 0xE2: // STORE DATA
                contentManagement(apdu, channel);
                return;
            default:
                ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
    }

    /**
     * Card content management: only inside an authenticated secure channel, at the session's level
     * (a session with C-MAC refuses plain commands). The answer is wrapped at the session's response
     * level; a 6310 (more GET STATUS data) is covered by the R-MAC and reaches the host with the data.
     */
    private void contentManagement(APDU apdu, SecureChannel channel) {
        byte[] buffer = apdu.getBuffer();
        short lc = 0;
        try {
            lc = apdu.setIncomingAndReceive();
        } catch (javacard.framework.APDUException e) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        byte level = channel.getSecurityLevel();
        if ((level & SecureChannel.AUTHENTICATED) == 0) {
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        boolean secured = SecureMessaging.of(buffer[ISO7816.OFFSET_CLA]) == SecureMessaging.GP;
        if (!secured && (level & SecureChannel.C_MAC) != 0) {
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        short length = (short) (ISO7816.OFFSET_CDATA + lc);
        // Every command goes through unwrap(): a plain one passes untouched, but an R-MAC session
        // (SCP02 level 10) needs to see it to cover it in the response's R-MAC.
        length = channel.unwrap(buffer, (short) 0, length);
        int dataLength = length - ISO7816.OFFSET_CDATA;
        byte[] data = java.util.Arrays.copyOfRange(buffer, ISO7816.OFFSET_CDATA, ISO7816.OFFSET_CDATA + Math.max(0, dataLength));
        CardContent.Answer answer;
        try {
            answer = card.content().process(ownAid(), buffer[ISO7816.OFFSET_INS] & 0xFF, buffer[ISO7816.OFFSET_P1] & 0xFF,
                    buffer[ISO7816.OFFSET_P2] & 0xFF, data, channel);
        } catch (org.jpkisim.gp.content.ContentException e) {
            ISOException.throwIt((short) e.sw());
            return;
        }
        byte[] out = answer.data();
        Util.arrayCopyNonAtomic(out, (short) 0, buffer, (short) 0, (short) out.length);
        Util.setShort(buffer, (short) out.length, (short) answer.sw());
        short wrapped = channel.wrap(buffer, (short) 0, (short) (out.length + 2));
        if (answer.sw() != CardContent.SW_OK) {
            card.finishWith(answer.sw());
        }
        apdu.setOutgoingAndSend((short) 0, wrapped);
    }

    /** This domain is the card's ISD (not an SSD or the CASD built on it). */
    private boolean isIssuer() {
        return java.util.Arrays.equals(ownAid(), GpCard.ISD_AID);
    }

    /**
     * The card has no UICC file system, but its ICCID is part of its identity: while the ISD is the
     * current application, SELECT of EF ICCID ({@code 00 A4 00|08 04|0C 02 2FE2}, or path
     * {@code 3F00 2FE2} with P1 08) and READ BINARY ({@code 00 B0 offset Le}) answer it as a UICC's MF
     * would. Returns false for anything else (the ISD's usual answers apply).
     */
    private boolean iccid(APDU apdu) {
        byte[] buffer = apdu.getBuffer();
        byte ins = buffer[ISO7816.OFFSET_INS];
        if (ins == ISO7816.INS_SELECT) {
            byte p1 = buffer[ISO7816.OFFSET_P1];
            byte p2 = buffer[ISO7816.OFFSET_P2];
            if ((p1 != 0x00 && p1 != 0x08) || (p2 != 0x04 && p2 != 0x0C && p2 != 0x00)) {
                return false;
            }
            short lc = apdu.setIncomingAndReceive();
            boolean fid = lc == 2 && Util.getShort(buffer, ISO7816.OFFSET_CDATA) == (short) 0x2FE2;
            boolean path = p1 == 0x08 && lc == 4 && Util.getShort(buffer, ISO7816.OFFSET_CDATA) == (short) 0x3F00
                    && Util.getShort(buffer, (short) (ISO7816.OFFSET_CDATA + 2)) == (short) 0x2FE2;
            if (!fid && !path) {
                iccidSelected = false;
                ISOException.throwIt(ISO7816.SW_FILE_NOT_FOUND);
            }
            iccidSelected = true;
            if (p2 == 0x0C) {
                return true;
            }
            // FCP: transparent working EF 2FE2 of 10 bytes, operational (activated)
            byte[] fcp = {0x62, 0x0F, (byte) 0x82, 0x02, 0x41, 0x21, (byte) 0x83, 0x02, 0x2F, (byte) 0xE2,
                (byte) 0x80, 0x02, 0x00, 0x0A, (byte) 0x8A, 0x01, 0x05};
            Util.arrayCopyNonAtomic(fcp, (short) 0, buffer, (short) 0, (short) fcp.length);
            apdu.setOutgoingAndSend((short) 0, (short) fcp.length);
            return true;
        }
        if (ins == (byte) 0xB0) {
            if (!iccidSelected) {
                ISOException.throwIt((short) 0x6986); // no current EF
            }
            if ((buffer[ISO7816.OFFSET_P1] & 0x80) != 0) {
                ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2); // short-FID addressing is not offered
            }
            byte[] iccid = card.identity().iccid();
            short offset = Util.getShort(buffer, ISO7816.OFFSET_P1);
            if (offset >= iccid.length) {
                ISOException.throwIt(ISO7816.SW_WRONG_P1P2);
            }
            short le = apdu.setOutgoing();
            short n = (short) Math.min(le <= 0 ? 256 : le, iccid.length - offset);
            apdu.setOutgoingLength(n);
            apdu.sendBytesLong(iccid, offset, n);
            return true;
        }
        return false;
    }

    protected void sendFci(APDU apdu) {
        byte[] buffer = apdu.getBuffer();
        short aidLength = JCSystem.getAID().getBytes(buffer, (short) 4);
        short off = 0;
        buffer[off++] = 0x6F;
        buffer[off++] = (byte) (2 + aidLength + 6);
        buffer[off++] = (byte) 0x84;
        buffer[off++] = (byte) aidLength;
        off += aidLength;
        buffer[off++] = (byte) 0xA5;
        buffer[off++] = 0x04;
        buffer[off++] = (byte) 0x9F;
        buffer[off++] = 0x65;
        buffer[off++] = 0x01;
        buffer[off++] = MAX_BLOCK;
        apdu.setOutgoingAndSend((short) 0, off);
    }

    /** GET DATA: allowed with or without a session; inside one, the command is unwrapped and the answer wrapped. */
    private void getData(APDU apdu, SecureChannel channel) {
        byte[] buffer = apdu.getBuffer();
        boolean secured = SecureMessaging.of(buffer[ISO7816.OFFSET_CLA]) == SecureMessaging.GP;
        byte level = channel.getSecurityLevel();
        // In a session with R-MAC but no C-MAC (SCP02 level 10) commands come plain and answers carry an R-MAC.
        boolean rmacOnly = (level & SecureChannel.AUTHENTICATED) != 0 && (level & SecureChannel.R_MAC) != 0
                && (level & SecureChannel.C_MAC) == 0;
        if (secured || rmacOnly) {
            short lc = apdu.setIncomingAndReceive();
            channel.unwrap(buffer, (short) 0, (short) (ISO7816.OFFSET_CDATA + lc));
        }
        short tag = Util.getShort(buffer, ISO7816.OFFSET_P1);
        short length;
        if (tag == (short) 0x00E0) {
            length = keyInformation(buffer);
        } else if (tag == (short) 0x0066) {
            length = cardData(buffer);
        } else if (isIssuer() && card.identity().dataObject(tag & 0xFFFF) != null) {
            // IIN 0042, CIN 0045, KDD 00CF, CPLC 9F7F: the card's identity
            byte[] object = card.identity().dataObject(tag & 0xFFFF);
            length = Util.arrayCopyNonAtomic(object, (short) 0, buffer, (short) 0, (short) object.length);
        } else {
            ISOException.throwIt(SW_REFERENCED_DATA_NOT_FOUND);
            return;
        }
        if (!secured && !rmacOnly) {
            // A plain command gets a plain answer, also while a session is open.
            apdu.setOutgoingAndSend((short) 0, length);
            return;
        }
        buffer[length] = (byte) 0x90;
        buffer[(short) (length + 1)] = 0x00;
        short wrapped = channel.wrap(buffer, (short) 0, (short) (length + 2));
        apdu.setOutgoingAndSend((short) 0, wrapped);
    }

    /** Key Information Template (GP Card Specification 11.3.3.1): C0 04 id version type length per key. */
    private short keyInformation(byte[] buffer) {
        short off = 2;
        for (ScpKeySet set : keys().all()) {
            for (byte id = 1; id <= 3; id++) {
                buffer[off++] = (byte) 0xC0;
                buffer[off++] = 0x04;
                buffer[off++] = id;
                buffer[off++] = (byte) set.version();
                buffer[off++] = set.scp() == 0x03 ? (byte) 0x88 : (byte) 0x80;
                buffer[off++] = (byte) set.enc().length;
            }
        }
        short content = (short) (off - 2);
        buffer[0] = (byte) 0xE0;
        if (content > 127) {
            // BER long form once the key sets need more than 127 bytes
            Util.arrayCopyNonAtomic(buffer, (short) 2, buffer, (short) 3, content);
            buffer[1] = (byte) 0x81;
            buffer[2] = (byte) content;
            return (short) (off + 1);
        }
        buffer[1] = (byte) content;
        return off;
    }

    /** Card Recognition Data (GP Card Specification H.2): GP 2.3, one SCP entry per distinct protocol and i-parameter of the key sets. */
    private short cardData(byte[] buffer) {
        byte[] gp = {0x2A, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xFC, 0x6B};
        short off = 4;
        off = oid(buffer, off, (byte) 0x06, gp, new byte[] {0x01});
        off = tagged(buffer, off, (byte) 0x60, gp, new byte[] {0x02, 0x02, 0x03, 0x00});
        off = tagged(buffer, off, (byte) 0x63, gp, new byte[] {0x03});
        java.util.Set<Integer> listed = new java.util.HashSet<>();
        for (ScpKeySet set : keys().all()) {
            if (listed.add((set.scp() << 8) | set.i())) {
                off = tagged(buffer, off, (byte) 0x64, gp, new byte[] {0x04, (byte) set.scp(), (byte) set.i()});
            }
        }
        buffer[0] = 0x66;
        buffer[1] = (byte) (off - 2);
        buffer[2] = 0x73;
        buffer[3] = (byte) (off - 4);
        return off;
    }

    private static short oid(byte[] buffer, short off, byte tag, byte[] prefix, byte[] tail) {
        buffer[off++] = tag;
        buffer[off++] = (byte) (prefix.length + tail.length);
        off = Util.arrayCopyNonAtomic(prefix, (short) 0, buffer, off, (short) prefix.length);
        return Util.arrayCopyNonAtomic(tail, (short) 0, buffer, off, (short) tail.length);
    }

    private static short tagged(byte[] buffer, short off, byte tag, byte[] prefix, byte[] tail) {
        buffer[off++] = tag;
        buffer[off++] = (byte) (2 + prefix.length + tail.length);
        return oid(buffer, off, (byte) 0x06, prefix, tail);
    }
}
