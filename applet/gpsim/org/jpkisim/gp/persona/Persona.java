package org.jpkisim.gp.persona;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jpkisim.gp.card.AppletCatalog;
import org.jpkisim.gp.card.CardIdentity;
import org.jpkisim.gp.card.GpCard;
import org.jpkisim.gp.keys.KeyDiversification;
import org.jpkisim.gp.keys.KeyRepository;
import org.jpkisim.gp.keys.ScpKeySet;

/**
 * A vendor persona: how one kind of card differs from the standard simulated card, as data
 * (test-vectors/personas/*.yaml, format in docs/vendor-profile.md). The same applet runs on every
 * persona; what changes is the platform around it: ATR, T=0, extended length, the ISD's AID, key sets
 * and their diversification, LOAD and INSTALL rules, memory, operation times, missing algorithms.
 * Deliberately wrong behaviour (quirks) lets the conformance suite prove that it catches a card that
 * answers differently.
 */
public final class Persona {
    /** Operations whose time a persona can set, and the commands they are (CLA class, INS). */
    public enum Operation {
        SIGN(0x2A), GENERATE_KEY(0x46), VERIFY(0x20), SELECT(0xA4), READ_BINARY(0xB0);

        final int ins;

        Operation(int ins) {
            this.ins = ins;
        }

        static Operation named(String name) {
            for (Operation o : values()) {
                if (o.key().equals(name)) {
                    return o;
                }
            }
            return null;
        }

        public String key() {
            return name().toLowerCase().replace('_', '-');
        }
    }

    /** Algorithms a persona can lack. */
    public static final Set<String> ALGORITHMS = Set.of("rsa-2048-keygen");

    private static final Set<String> TOP = Set.of("name", "description", "model", "sources", "atr", "protocol",
            "extended-length", "isd", "keys", "load", "install", "memory", "latency-ms", "algorithms", "quirks");
    private static final Pattern KEY_SET = Pattern.compile("scp0([23]) i=([0-9a-fA-F]{2}) kvn=([0-9a-fA-F]{2})");

    public final String name;
    public final String description;
    public final byte[] atr;
    public final boolean t0;
    public final boolean extendedLength;
    public final byte[] isdAid;
    public final List<ScpKeySet> masterKeySets;
    /** Null: the standard card's methods (KDF3 for SCP03 sets, EMV for SCP02 sets). */
    public final KeyDiversification.Method diversification;
    /** Largest LOAD data field accepted; 0 = no limit beyond the short APDU. */
    public final int loadMaxBlock;
    public final boolean requireC9;
    public final boolean requireUiccParameters;
    /** Largest sealed content (PUT CONTENT data of one item) the applet's memory takes; 0 = no limit. */
    public final int maxContent;
    public final Map<Operation, Integer> latencyMillis;
    public final Set<String> missingAlgorithms;
    /** Status word answered instead of 63C0 for a blocked PIN (non-conformant personas); 0 = none. */
    public final int blockedPinSw;

    private Persona(String file, Map<String, Object> doc) {
        Fields top = new Fields(file, "persona", doc, TOP);
        name = top.required("name");
        description = top.text("description", "");
        top.text("model", "");
        top.list("sources");
        atr = top.hex("atr", "3B8880014A504B492D53494D6B");
        String protocol = top.text("protocol", "t1");
        if (!protocol.equals("t0") && !protocol.equals("t1")) {
            throw top.error("protocol must be t0 or t1");
        }
        t0 = protocol.equals("t0");
        extendedLength = top.bool("extended-length", true);
        isdAid = top.hex("isd", "A000000151000000");
        if (isdAid.length != GpCard.ISD_AID.length) {
            throw top.error("isd must be an 8-byte AID (the persona answers it in place of A000000151000000)");
        }
        Fields keys = top.section("keys", Set.of("sets", "diversification"));
        List<ScpKeySet> sets = new ArrayList<>();
        for (String spec : keys.list("sets")) {
            Matcher m = KEY_SET.matcher(spec);
            if (!m.matches()) {
                throw keys.error("key set '" + spec + "' is not 'scp0N i=HH kvn=HH'");
            }
            int scp = Integer.parseInt(m.group(1));
            int i = Integer.parseInt(m.group(2), 16);
            int kvn = Integer.parseInt(m.group(3), 16);
            try {
                sets.add(scp == 3 ? ScpKeySet.testScp03(kvn, i) : ScpKeySet.testScp02(kvn, i));
            } catch (IllegalArgumentException e) {
                throw keys.error("key set '" + spec + "': " + e.getMessage());
            }
        }
        masterKeySets = sets.isEmpty() ? KeyRepository.issuerTestKeys().all() : List.copyOf(sets);
        String method = keys.text("diversification", "standard");
        switch (method) {
            case "standard": diversification = null; break;
            case "none": diversification = KeyDiversification.Method.NONE; break;
            case "emv": diversification = KeyDiversification.Method.EMV; break;
            case "visa2": diversification = KeyDiversification.Method.VISA2; break;
            case "kdf3": diversification = KeyDiversification.Method.KDF3; break;
            default: throw keys.error("diversification must be standard, none, emv, visa2 or kdf3");
        }
        Fields load = top.section("load", Set.of("max-block"));
        loadMaxBlock = load.integer("max-block", 0);
        Fields install = top.section("install", Set.of("require-c9", "require-uicc-parameters"));
        requireC9 = install.bool("require-c9", false);
        requireUiccParameters = install.bool("require-uicc-parameters", false);
        Fields memory = top.section("memory", Set.of("max-content"));
        maxContent = memory.integer("max-content", 0);
        Set<String> operations = new java.util.HashSet<>();
        for (Operation o : Operation.values()) {
            operations.add(o.key());
        }
        Fields latency = top.section("latency-ms", operations);
        Map<Operation, Integer> times = new LinkedHashMap<>();
        for (String op : latency.keys()) {
            times.put(Operation.named(op), latency.integer(op, 0));
        }
        latencyMillis = Map.copyOf(times);
        Fields algorithms = top.section("algorithms", Set.of("missing"));
        List<String> missing = algorithms.list("missing");
        for (String a : missing) {
            if (!ALGORITHMS.contains(a)) {
                throw algorithms.error("unknown algorithm '" + a + "' (known: " + ALGORITHMS + ")");
            }
        }
        missingAlgorithms = Set.copyOf(missing);
        Fields quirks = top.section("quirks", Set.of("blocked-pin-sw"));
        byte[] sw = quirks.hex("blocked-pin-sw", "");
        if (sw.length != 0 && sw.length != 2) {
            throw quirks.error("blocked-pin-sw must be a status word (4 hex digits)");
        }
        blockedPinSw = sw.length == 2 ? ((sw[0] & 0xFF) << 8) | (sw[1] & 0xFF) : 0;
        for (ScpKeySet set : masterKeySets) {
            if (diversification != null && diversification != KeyDiversification.Method.NONE
                    && (set.scp() == 3) != (diversification == KeyDiversification.Method.KDF3)) {
                throw keys.error(diversification + " diversification does not apply to the SCP0" + set.scp() + " key set " + Integer.toHexString(set.version()));
            }
        }
    }

    public static Persona load(Path file) throws IOException {
        return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
    }

    public static Persona parse(String file, String text) {
        return new Persona(file, PersonaYaml.parse(file, text));
    }

    /** The ISD's key sets of a card with this KDD: the persona's master sets, diversified its way. */
    public KeyRepository keysFor(byte[] kdd) {
        List<ScpKeySet> out = new ArrayList<>();
        for (ScpKeySet master : masterKeySets) {
            out.add(diversification == null ? KeyDiversification.diversify(master, kdd) : KeyDiversification.diversify(master, kdd, diversification));
        }
        return new KeyRepository(out);
    }

    /** A new card of this persona (no applet installed yet); install rules and T=0 applied. */
    public GpCard newCard(CardIdentity identity) {
        GpCard card = new GpCard(keysFor(identity.keyDiversificationData()), identity, AppletCatalog.standard());
        configure(card);
        return card;
    }

    /** Applies what the persona changes inside the card (install rules, T=0) to a card, new or restored. */
    public void configure(GpCard card) {
        card.setInstallRules(requireC9, requireUiccParameters);
        card.setT0(t0);
    }

    /** One mapping of the document, with its allowed keys checked. */
    private static final class Fields {
        private final String file;
        private final String where;
        private final Map<String, Object> map;

        Fields(String file, String where, Map<String, Object> map, Set<String> allowed) {
            this.file = file;
            this.where = where;
            this.map = map;
            for (String key : map.keySet()) {
                if (!allowed.contains(key)) {
                    throw error("unknown key '" + key + "' (expected one of: " + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
                }
            }
        }

        IllegalArgumentException error(String reason) {
            return new IllegalArgumentException(file + ": " + where + ": " + reason);
        }

        Set<String> keys() {
            return map.keySet();
        }

        Fields section(String key, Set<String> allowed) {
            Object v = map.get(key);
            if (v == null || "".equals(v)) {
                return new Fields(file, key, Map.of(), allowed);
            }
            if (!(v instanceof Map)) {
                throw error(key + " must be a mapping");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> inner = (Map<String, Object>) v;
            return new Fields(file, where.equals("persona") ? key : where + "." + key, inner, allowed);
        }

        String text(String key, String fallback) {
            Object v = map.get(key);
            if (v == null) {
                return fallback;
            }
            if (!(v instanceof String)) {
                throw error(key + " must be a single value");
            }
            return (String) v;
        }

        String required(String key) {
            String v = text(key, "");
            if (v.isEmpty()) {
                throw error(key + " is required");
            }
            return v;
        }

        List<String> list(String key) {
            Object v = map.get(key);
            if (v == null || "".equals(v)) {
                return List.of();
            }
            if (!(v instanceof List)) {
                throw error(key + " must be a list");
            }
            @SuppressWarnings("unchecked")
            List<String> items = (List<String>) v;
            return items;
        }

        boolean bool(String key, boolean fallback) {
            String v = text(key, fallback ? "true" : "false");
            if (!v.equals("true") && !v.equals("false")) {
                throw error(key + " must be true or false");
            }
            return v.equals("true");
        }

        int integer(String key, int fallback) {
            String v = text(key, Integer.toString(fallback));
            try {
                int n = v.startsWith("0x") ? Integer.parseInt(v.substring(2), 16) : Integer.parseInt(v);
                if (n < 0) {
                    throw new NumberFormatException();
                }
                return n;
            } catch (NumberFormatException e) {
                throw error(key + " must be a non-negative integer, got " + v);
            }
        }

        byte[] hex(String key, String fallback) {
            String v = text(key, fallback).replace(" ", "");
            try {
                return HexFormat.of().parseHex(v);
            } catch (IllegalArgumentException e) {
                throw error(key + " must be hex, got " + v);
            }
        }
    }
}
