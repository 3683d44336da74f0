package org.jpkisim.simulator;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Runs a simulated JPKI card and plugs it into a vpcd reader slot: pcscd's vpcd driver
 * (ports 35963 and 35964) or the harness's direct transport.
 *
 * <pre>
 *   java -jar build/jpki-simulator.jar [--connect HOST:PORT]... [--atr HEX] [--once] [--log FILE]
 *                                      [--state FILE [--fresh]] [--t0] [--card-seed HEX] [--iin HEX]
 *                                      [--persona FILE [--latency-scale F]] [--my-number-card]
 * </pre>
 */
public final class SimulatorMain {
    /** ATR presented by default: T=1, historical bytes "JPKI-SIM". */
    static final String DEFAULT_ATR = "3B888001" + "4A504B492D53494D" + "6B"; // last byte: TCK

    /** ATR of the TEST My Number card (--my-number-card): T=1, historical bytes "JPKI-MNC". */
    static final String MY_NUMBER_CARD_ATR = "3B888001" + "4A504B492D4D4E43" + "7C"; // last byte: TCK

    /** How long a card that lost power stays out of the vpcd slot. */
    static final long TORN_ABSENCE_MILLIS = 1500;

    private SimulatorMain() {
    }

    public static void main(String[] args) throws Exception {
        List<String> endpoints = new ArrayList<>();
        String atr = null;
        String personaFile = null;
        double latencyScale = 1.0;
        boolean once = false;
        String logFile = null;
        String stateFile = null;
        boolean fresh = false;
        boolean t0 = false;
        byte[] cardSeed = null;
        byte[] iin = null;
        boolean myNumberCard = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--connect": endpoints.add(value(args, ++i, "--connect")); break;
                case "--atr": atr = value(args, ++i, "--atr"); break;
                case "--once": once = true; break;
                case "--log": logFile = value(args, ++i, "--log"); break;
                case "--state": stateFile = value(args, ++i, "--state"); break;
                case "--fresh": fresh = true; break;
                case "--t0": t0 = true; break;
                case "--card-seed": cardSeed = seed(value(args, ++i, "--card-seed")); break;
                case "--iin": iin = iin(value(args, ++i, "--iin")); break;
                case "--persona": personaFile = value(args, ++i, "--persona"); break;
                case "--latency-scale": latencyScale = scale(value(args, ++i, "--latency-scale")); break;
                case "--my-number-card": myNumberCard = true; break;
                case "-h":
                case "--help":
                    System.out.println("usage: java -jar jpki-simulator.jar [--connect HOST:PORT]... [--atr HEX] [--once] [--log FILE]");
                    System.out.println("  --connect  vpcd reader slot to plug a card into (default 127.0.0.1:35963, pcscd's first vpcd slot);");
                    System.out.println("             repeat it for several independent cards, e.g. both slots for a transfer between SIMs");
                    System.out.println("  --atr      ATR the cards present (default " + DEFAULT_ATR + ")");
                    System.out.println("  --once     exit when the reader side disconnects instead of reconnecting");
                    System.out.println("  --log      write an APDU log (PINs and keys redacted) to FILE");
                    System.out.println("  --state    keep the card (applets, keys, PIN counters, registry) in FILE across restarts;");
                    System.out.println("             with several cards, each in FILE.PORT");
                    System.out.println("  --fresh    with --state: start a new card, replacing FILE");
                    System.out.println("  --t0       T=0 persona: response data fetched with GET RESPONSE after 61xx");
                    System.out.println("  --card-seed HEX  a new card's identity (IIN, CIN, CPLC, ICCID, keys, CASD) from this seed instead of");
                    System.out.println("             at random: the same seed makes the same card; with several cards, each also gets its port");
                    System.out.println("  --iin HEX  a new card's issuer identification number (6 bytes, e.g. an operator's 8981...) instead of");
                    System.out.println("             the one from its seed; its CASD certificate certifies it");
                    System.out.println("  --persona FILE  a vendor persona (test-vectors/personas/*.yaml): ATR, T=0, extended length, ISD AID,");
                    System.out.println("             key sets and diversification, LOAD/INSTALL rules, memory, operation times, quirks");
                    System.out.println("  --latency-scale F  multiply the persona's operation times by F (default 1; 0 turns them off)");
                    System.out.println("  --my-number-card  TEST: an applicant's My Number card (JPKI signature and user authentication,");
                    System.out.println("             issued through its test issuance commands, docs/my-number-card.md) instead of a SIM;");
                    System.out.println("             ATR " + MY_NUMBER_CARD_ATR + " unless --atr or a persona gives one");
                    return;
                default:
                    usage("unknown option " + args[i]);
            }
        }
        if (endpoints.isEmpty()) {
            endpoints.add("127.0.0.1:35963");
        }
        if (fresh && stateFile == null) {
            usage("--fresh needs --state FILE");
        }
        org.jpkisim.gp.persona.Persona persona = null;
        if (personaFile != null) {
            try {
                persona = org.jpkisim.gp.persona.Persona.load(java.nio.file.Path.of(personaFile));
            } catch (IOException | IllegalArgumentException e) {
                System.err.println("jpki-simulator: persona " + personaFile + ": " + e.getMessage());
                System.exit(2);
            }
        }
        byte[] atrBytes = atr != null ? HexFormat.of().parseHex(atr) : persona != null ? persona.atr
                : HexFormat.of().parseHex(myNumberCard ? MY_NUMBER_CARD_ATR : DEFAULT_ATR);
        ApduLog log = logFile == null ? ApduLog.disabled() : new ApduLog(new PrintStream(new FileOutputStream(logFile, true), true));
        List<Thread> slots = new ArrayList<>();
        final boolean exitWhenUnplugged = once;
        for (String endpoint : endpoints) {
            int colon = endpoint.lastIndexOf(':');
            if (colon <= 0) {
                usage("--connect expects HOST:PORT, got " + endpoint);
            }
            String host = endpoint.substring(0, colon);
            int port = Integer.parseInt(endpoint.substring(colon + 1));
            String cardState = stateFile == null ? null : endpoints.size() == 1 ? stateFile : stateFile + "." + port;
            SimulatedCard card = openCard(atrBytes, cardState, fresh, t0, cardSeed == null ? null
                    : endpoints.size() == 1 ? cardSeed : withPort(cardSeed, port), persona, latencyScale, myNumberCard, iin);
            VpcdLink link = new VpcdLink(card, host, port, log);
            // Each card answers on its own thread: jCardSim's runtime and the GP backend are per thread.
            Thread slot = new Thread(() -> serve(link, exitWhenUnplugged), "card-" + port);
            slots.add(slot);
        }
        System.out.println("ready " + HexFormat.of().withUpperCase().formatHex(atrBytes));
        System.out.flush();
        for (Thread slot : slots) {
            slot.start();
        }
        for (Thread slot : slots) {
            slot.join();
        }
    }

    private static byte[] seed(String hex) {
        try {
            byte[] seed = HexFormat.of().parseHex(hex);
            if (seed.length > 0) {
                return seed;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        usage("--card-seed expects hex digits (at least one byte)");
        return null;
    }

    private static byte[] iin(String hex) {
        try {
            byte[] iin = HexFormat.of().parseHex(hex);
            if (iin.length == 6) {
                return iin;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        usage("--iin expects 6 bytes of hex digits");
        return null;
    }

    /** Each card of one host gets its own identity from one seed: the seed followed by its port. */
    private static byte[] withPort(byte[] seed, int port) {
        byte[] out = java.util.Arrays.copyOf(seed, seed.length + 2);
        out[seed.length] = (byte) (port >> 8);
        out[seed.length + 1] = (byte) port;
        return out;
    }

    private static double scale(String text) {
        try {
            double f = Double.parseDouble(text);
            if (f >= 0 && f <= 100) {
                return f;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        usage("--latency-scale expects a number 0..100");
        return 1;
    }

    private static SimulatedCard openCard(byte[] atr, String stateFile, boolean fresh, boolean t0, byte[] cardSeed,
                                          org.jpkisim.gp.persona.Persona persona, double latencyScale, boolean myNumberCard,
                                          byte[] iin) {
        SimulatedCard card;
        try {
            card = new SimulatedCard(atr, stateFile == null ? null : java.nio.file.Path.of(stateFile), fresh, t0, cardSeed, persona,
                    latencyScale, myNumberCard, iin);
        } catch (IllegalStateException e) {
            System.err.println("jpki-simulator: " + e.getMessage());
            System.exit(4);
            return null;
        }
        if (stateFile != null) {
            System.out.println((card.restoredFromState() ? "state restored from " : "new card, state in ") + stateFile);
            // The state file follows the card: written shortly after changes, at power-off and at exit.
            Thread saver = new Thread(() -> {
                while (true) {
                    try {
                        Thread.sleep(500);
                    } catch (InterruptedException e) {
                        return;
                    }
                    card.saveIfDirty();
                }
            }, "card-state");
            saver.setDaemon(true);
            saver.start();
            Runtime.getRuntime().addShutdownHook(new Thread(card::saveIfDirty, "card-state-exit"));
        }
        return card;
    }

    /** Keeps one card in its slot: reconnects when the reader side goes away, unless {@code once}. */
    private static void serve(VpcdLink link, boolean once) {
        boolean waitingReported = false;
        while (true) {
            try {
                link.tornAt = 0;
                link.serve(2000);
                System.out.println("disconnected " + link.endpoint());
                System.out.flush();
                if (once) {
                    return;
                }
                if (link.tornAt != 0) {
                    // Out of the slot long enough for pcscd to notice the card gone, then back in.
                    Thread.sleep(TORN_ABSENCE_MILLIS);
                }
            } catch (ConnectException e) {
                if (once) {
                    System.err.println("jpki-simulator: nothing listens on " + link.endpoint() + ": " + e.getMessage());
                    System.exit(3);
                }
                if (!waitingReported) {
                    System.out.println("waiting for a vpcd reader at " + link.endpoint() + " (is pcscd running with vsmartcard-vpcd?)");
                    System.out.flush();
                    waitingReported = true;
                }
            } catch (IOException e) {
                System.out.println("link error " + link.endpoint() + ": " + e.getMessage());
                if (once) {
                    System.exit(3);
                }
            } catch (InterruptedException e) {
                return;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static String value(String[] args, int index, String option) {
        if (index >= args.length) {
            usage(option + " needs a value");
        }
        return args[index];
    }

    private static void usage(String message) {
        System.err.println("jpki-simulator: " + message + " (try --help)");
        System.exit(2);
    }
}
