package org.jpkisim.gp.card;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.OwnerPIN;
import javacard.framework.Util;

/**
 * Persistent state written inside and outside transactions, an OwnerPIN, and a transient array:
 * INS 40 write in a transaction and abort, 41 write in a transaction and commit, 42 read,
 * 43 write without a transaction, 44 wrong PIN inside a transaction then abort, 45 tries left,
 * 46 write transient, 47 read transient; INS 48 answers Le as the APDU object reports it; 4A non-atomic
 * writes inside an aborted transaction; 4B P1 committed transactions and a last one with a non-atomic write.
 */
public final class TransactionTestApplet extends Applet {
    private final byte[] value = new byte[8];
    private short counter;
    private Object holder = new byte[] {1};
    private final OwnerPIN pin = new OwnerPIN((byte) 3, (byte) 4);
    private final byte[] scratch = JCSystem.makeTransientByteArray((short) 4, JCSystem.CLEAR_ON_RESET);

    private TransactionTestApplet() {
        pin.update(new byte[] {1, 2, 3, 4}, (short) 0, (byte) 4);
    }

    public static void install(byte[] parameters, short offset, byte length) {
        new TransactionTestApplet().register(parameters, (short) (offset + 1), parameters[offset]);
    }

    @Override
    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buffer = apdu.getBuffer();
        switch (buffer[ISO7816.OFFSET_INS]) {
            case 0x40:
                apdu.setIncomingAndReceive();
                JCSystem.beginTransaction();
                write(buffer);
                JCSystem.abortTransaction();
                return;
            case 0x41:
                apdu.setIncomingAndReceive();
                JCSystem.beginTransaction();
                write(buffer);
                JCSystem.commitTransaction();
                return;
            case 0x42:
                Util.arrayCopyNonAtomic(value, (short) 0, buffer, (short) 0, (short) 8);
                Util.setShort(buffer, (short) 8, counter);
                buffer[10] = holder == null ? (byte) 0xFF : ((byte[]) holder)[0];
                apdu.setOutgoingAndSend((short) 0, (short) 11);
                return;
            case 0x43:
                apdu.setIncomingAndReceive();
                write(buffer);
                return;
            case 0x49:
                apdu.setIncomingAndReceive();
                JCSystem.beginTransaction();
                write(buffer);
                return; // transaction left open
            case 0x44:
                JCSystem.beginTransaction();
                pin.check(new byte[] {9, 9, 9, 9}, (short) 0, (byte) 4);
                JCSystem.abortTransaction();
                return;
            case 0x45:
                buffer[0] = pin.getTriesRemaining();
                apdu.setOutgoingAndSend((short) 0, (short) 1);
                return;
            case 0x46:
                apdu.setIncomingAndReceive();
                Util.arrayCopyNonAtomic(buffer, ISO7816.OFFSET_CDATA, scratch, (short) 0, (short) 4);
                return;
            case 0x47:
                Util.arrayCopyNonAtomic(scratch, (short) 0, buffer, (short) 0, (short) 4);
                apdu.setOutgoingAndSend((short) 0, (short) 4);
                return;
            case 0x48:
                short received = apdu.setIncomingAndReceive();
                short le = apdu.setOutgoing();
                Util.setShort(buffer, (short) 0, received);
                Util.setShort(buffer, (short) 2, le);
                buffer[4] = APDU.getCLAChannel();
                apdu.setOutgoingLength((short) 5);
                apdu.sendBytes((short) 0, (short) 5);
                return;
            case 0x4A:
                // non-atomic fill and copy of persistent bytes inside a transaction, then abort
                apdu.setIncomingAndReceive();
                JCSystem.beginTransaction();
                Util.arrayFillNonAtomic(value, (short) 0, (short) 4, buffer[ISO7816.OFFSET_CDATA]);
                Util.arrayCopyNonAtomic(buffer, (short) (ISO7816.OFFSET_CDATA + 1), value, (short) 4, (short) 2);
                counter++;
                JCSystem.abortTransaction();
                return;
            case 0x4B:
                // P1 transactions, each committing one atomic write of the data and counting; then a
                // non-atomic fill of the last two bytes inside one more transaction, committed
                apdu.setIncomingAndReceive();
                for (byte i = 0; i < buffer[ISO7816.OFFSET_P1]; i++) {
                    JCSystem.beginTransaction();
                    value[i] = buffer[ISO7816.OFFSET_CDATA];
                    counter++;
                    JCSystem.commitTransaction();
                }
                JCSystem.beginTransaction();
                Util.arrayFillNonAtomic(value, (short) 6, (short) 2, buffer[ISO7816.OFFSET_CDATA]);
                counter++;
                JCSystem.commitTransaction();
                return;
            default:
                ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
    }

    private void write(byte[] buffer) {
        Util.arrayCopy(buffer, ISO7816.OFFSET_CDATA, value, (short) 0, (short) 8);
        counter++;
        holder = new byte[] {buffer[ISO7816.OFFSET_CDATA]};
    }
}
