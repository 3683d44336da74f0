package org.jpkisim.gp.persona;

import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.jpkisim.gp.card.GpCard;

/**
 * What a persona changes at the card's edge, around the standard card's answers: what a reader sees
 * differently on that vendor's card without the card's inside being another program. Every rule looks at
 * the command header (never at data a secure channel encrypts) or at a plain answer:
 * <ul>
 *   <li>extended-length APDUs refused (6700) on a card without them;
 *   <li>the ISD answering under the persona's AID (SELECT by that AID, the FCI's AID) and the standard AID
 *       not found (6A82);
 *   <li>LOAD blocks beyond the card's limit refused (6700);
 *   <li>sealed content (PUT CONTENT of one item) beyond the applet's memory refused (6A84);
 *   <li>GENERATE KEY PAIR refused (6A81) on a card without on-card RSA-2048 generation;
 *   <li>per-operation latency (from published measurements), scaled by {@code latencyScale};
 *   <li>quirks: another status word for a blocked PIN.
 * </ul>
 */
public final class PersonaCard {
    private final Persona persona;
    private final UnaryOperator<byte[]> card;
    private final double latencyScale;
    /** PUT CONTENT bytes received so far for the item being staged, per target (P1). */
    private final int[] staged = new int[256];

    public PersonaCard(Persona persona, UnaryOperator<byte[]> card, double latencyScale) {
        this.persona = persona;
        this.card = card;
        this.latencyScale = latencyScale;
    }

    public Persona persona() {
        return persona;
    }

    public byte[] transmit(byte[] command) {
        if (command.length < 4) {
            return card.apply(command);
        }
        int cla = command[0] & 0xFF;
        int ins = command[1] & 0xFF;
        boolean interindustry = (cla & 0x80) == 0;
        if (!persona.extendedLength && command.length > 5 && command[4] == 0) {
            return sw(0x6700); // an extended Lc/Le on a card that only takes short APDUs
        }
        boolean select = interindustry && ins == 0xA4 && (command[2] & 0xFF) == 0x04 && command.length > 5;
        boolean aliased = !Arrays.equals(persona.isdAid, GpCard.ISD_AID);
        if (select && aliased) {
            byte[] aid = Arrays.copyOfRange(command, 5, Math.min(command.length, 5 + (command[4] & 0xFF)));
            if (Arrays.equals(aid, GpCard.ISD_AID)) {
                return sw(0x6A82); // this card's ISD lives under another AID
            }
            if (Arrays.equals(aid, persona.isdAid)) {
                command = command.clone();
                System.arraycopy(GpCard.ISD_AID, 0, command, 5, GpCard.ISD_AID.length);
            }
        }
        if (!interindustry && ins == 0xE8 && persona.loadMaxBlock > 0 && command.length > 5 && (command[4] & 0xFF) > persona.loadMaxBlock) {
            return sw(0x6700);
        }
        if (!interindustry && ins == 0xDB && persona.maxContent > 0 && command.length > 5) {
            int target = command[2] & 0xFF;
            if ((command[3] & 0x7F) == 0) {
                staged[target] = 0;
            }
            staged[target] += command[4] & 0xFF;
            if (staged[target] > persona.maxContent) {
                staged[target] = 0;
                return sw(0x6A84); // not enough memory for this item
            }
        }
        if (!interindustry && ins == 0x46 && persona.missingAlgorithms.contains("rsa-2048-keygen")) {
            return sw(0x6A81); // function not supported: no on-card RSA-2048 key generation
        }
        byte[] response = card.apply(command);
        if (response.length < 2) {
            return response;
        }
        int sw1 = response[response.length - 2] & 0xFF;
        int sw = (sw1 << 8) | (response[response.length - 1] & 0xFF);
        if (select && aliased && (sw1 == 0x90 || sw1 == 0x61)) {
            replace(response, GpCard.ISD_AID, persona.isdAid);
        }
        if (persona.blockedPinSw != 0 && interindustry && (ins == 0x20 || ins == 0x24) && sw == 0x63C0) {
            response = response.clone();
            response[response.length - 2] = (byte) (persona.blockedPinSw >> 8);
            response[response.length - 1] = (byte) persona.blockedPinSw;
        }
        if (sw1 == 0x90 || sw1 == 0x61) {
            delay(operation(cla, ins));
        }
        return response;
    }

    private static Persona.Operation operation(int cla, int ins) {
        for (Persona.Operation o : Persona.Operation.values()) {
            if (o.ins == ins) {
                // signing is proprietary class 80; generation goes through the secure channel (84); the rest interindustry
                boolean proprietary = (cla & 0x80) != 0;
                boolean wanted = o == Persona.Operation.SIGN || o == Persona.Operation.GENERATE_KEY;
                return proprietary == wanted ? o : null;
            }
        }
        return null;
    }

    private void delay(Persona.Operation operation) {
        Integer millis = operation == null ? null : persona.latencyMillis.get(operation);
        if (millis == null || millis == 0 || latencyScale <= 0) {
            return;
        }
        long nanos = (long) (millis * latencyScale * 1_000_000L);
        try {
            Thread.sleep(nanos / 1_000_000L, (int) (nanos % 1_000_000L));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void replace(byte[] data, byte[] from, byte[] to) {
        for (int i = 0; i + from.length <= data.length - 2; i++) {
            if (Arrays.equals(data, i, i + from.length, from, 0, from.length)) {
                System.arraycopy(to, 0, data, i, to.length);
            }
        }
    }

    private static byte[] sw(int sw) {
        return new byte[] {(byte) (sw >> 8), (byte) sw};
    }
}
