package org.jpkisim.gp.card;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jpkisim.gp.authority.CasdCredential;
import org.jpkisim.gp.authority.TestCardAuthority;

/**
 * What makes one simulated card different from every other: its numbers (IIN, CIN, CPLC, ICCID, key
 * diversification data) and its CASD key pair with the TEST card authority's certificate. Everything
 * is derived from a 32-byte seed (random for a new card, or given so tests get the same card every
 * time), so a card is reproducible from its seed; the card state file keeps the values themselves.
 *
 * <ul>
 *   <li>IIN (GET DATA 0042): 6 bytes, {@code 89 81} (telecom, Japan) then 4 seed bytes;
 *   <li>CIN (GET DATA 0045): 8 seed bytes;
 *   <li>KDD (GET DATA 00CF, INITIALIZE UPDATE bytes 1-10): IIN's last 2 bytes || CIN;
 *   <li>CPLC (GET DATA 9F7F): 42 bytes, fixed fabricator/OS fields, IC serial number and batch from the seed;
 *   <li>ICCID (EF 2FE2): 19 digits {@code 8981 00} + 12 seed digits + Luhn digit, BCD nibble-swapped, F-padded;
 *   <li>CASD: RSA-2048 key pair from a SHA1PRNG seeded with the seed, certificate serial from the seed.
 * </ul>
 * The CASD key pair is made on first use (RSA key generation takes a fraction of a second, and most
 * in-process test cards never need it); since it comes from the seed, when does not matter.
 */
public final class CardIdentity {
    private static final SecureRandom SEEDS = new SecureRandom();
    private static final int FORMAT = 1;

    private final byte[] seed;
    private final byte[] iin;
    private final byte[] cin;
    private final byte[] kdd;
    private final byte[] cplc;
    private final byte[] iccid;
    private CasdCredential casd;

    private CardIdentity(byte[] seed, byte[] iin, byte[] cin, byte[] kdd, byte[] cplc, byte[] iccid, CasdCredential casd) {
        this.seed = seed.clone();
        this.iin = iin.clone();
        this.cin = cin.clone();
        this.kdd = kdd.clone();
        this.cplc = cplc.clone();
        this.iccid = iccid.clone();
        this.casd = casd;
    }

    /** A new card's identity from SecureRandom. */
    public static CardIdentity random() {
        byte[] seed = new byte[32];
        SEEDS.nextBytes(seed);
        return fromSeed(seed);
    }

    /** The identity a seed (any length, at least one byte) always gives. */
    public static CardIdentity fromSeed(byte[] seed) {
        if (seed.length == 0) {
            throw new IllegalArgumentException("empty card seed");
        }
        byte[] s = seed.length == 32 ? seed.clone() : expand(seed, "seed", 32);
        byte[] iin = new byte[6];
        iin[0] = (byte) 0x89;
        iin[1] = (byte) 0x81;
        System.arraycopy(expand(s, "IIN", 4), 0, iin, 2, 4);
        byte[] cin = expand(s, "CIN", 8);
        byte[] kdd = new byte[10];
        System.arraycopy(iin, 4, kdd, 0, 2);
        System.arraycopy(cin, 0, kdd, 2, 8);
        return new CardIdentity(s, iin, cin, kdd, cplc(s), iccid(s), null);
    }

    /**
     * For a card saved before cards had identities: new numbers from a random seed, but the key
     * diversification data it always had (its keys and any content sealed for it were bound to it).
     */
    public static CardIdentity withDiversificationData(byte[] kdd) {
        if (kdd.length != 10) {
            throw new IllegalArgumentException("key diversification data is 10 bytes");
        }
        CardIdentity fresh = random();
        return new CardIdentity(fresh.seed, fresh.iin, fresh.cin, kdd, fresh.cplc, fresh.iccid, null);
    }

    /**
     * This identity as a card of another issuer: the IIN given (6 bytes, an operator's issuer identification
     * number), the KDD following it (IIN bytes 5-6 || CIN), everything else unchanged. Only before the CASD
     * credential exists: its certificate certifies the IIN.
     */
    public CardIdentity withIin(byte[] newIin) {
        if (newIin.length != 6) {
            throw new IllegalArgumentException("an IIN here is 6 bytes");
        }
        if (casd != null) {
            throw new IllegalStateException("the CASD certificate already certifies another IIN");
        }
        byte[] k = kdd.clone();
        System.arraycopy(newIin, 4, k, 0, 2);
        return new CardIdentity(seed, newIin, cin, k, cplc, iccid, null);
    }

    private static byte[] cplc(byte[] seed) {
        byte[] serial = expand(seed, "IC serial", 6);
        byte[] c = new byte[42];
        int off = 0;
        off = put(c, off, 0x4A50);            // IC fabricator ("JP")
        off = put(c, off, 0x5349);            // IC type ("SI")
        off = put(c, off, 0x4A43);            // operating system identifier ("JC")
        off = put(c, off, 0x5001);            // operating system release date (YDDD)
        off = put(c, off, 0x0306);            // operating system release level (jCardSim 3.0.6)
        off = put(c, off, 0x5010);            // IC fabrication date
        System.arraycopy(serial, 0, c, off, 4); // IC serial number
        off += 4;
        System.arraycopy(serial, 4, c, off, 2); // IC batch identifier
        off += 2;
        off = put(c, off, 0x4A50);            // IC module fabricator
        off = put(c, off, 0x5020);            // IC module packaging date
        off = put(c, off, 0x4A50);            // ICC manufacturer
        off = put(c, off, 0x5030);            // IC embedding date
        off = put(c, off, 0x4A50);            // IC pre-personalizer
        off = put(c, off, 0x5040);            // IC pre-perso equipment date
        off += 4;                             // IC pre-perso equipment identifier 00000000
        off = put(c, off, 0x4A50);            // IC personalizer
        off = put(c, off, 0x5050);            // IC personalization date
        return c;                             // IC perso equipment identifier 00000000
    }

    private static int put(byte[] b, int off, int value) {
        b[off] = (byte) (value >> 8);
        b[off + 1] = (byte) value;
        return off + 2;
    }

    private static byte[] iccid(byte[] seed) {
        StringBuilder digits = new StringBuilder("898100");
        for (byte b : expand(seed, "ICCID", 12)) {
            digits.append((b & 0xFF) % 10);
        }
        digits.append(luhn(digits));
        digits.append('F');
        byte[] out = new byte[10];
        for (int i = 0; i < 10; i++) {
            int first = Character.digit(digits.charAt(2 * i), 16);
            int second = Character.digit(digits.charAt(2 * i + 1), 16);
            out[i] = (byte) ((second << 4) | first); // nibble-swapped, as EF ICCID stores it
        }
        return out;
    }

    private static char luhn(CharSequence digits) {
        int sum = 0;
        for (int i = 0; i < digits.length(); i++) {
            int d = digits.charAt(digits.length() - 1 - i) - '0';
            if (i % 2 == 0) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
        }
        return (char) ('0' + (10 - sum % 10) % 10);
    }

    /** HMAC-SHA256(seed, label || counter) blocks: independent values from one seed. */
    private static byte[] expand(byte[] seed, String label, int length) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(seed, "HmacSHA256"));
            byte[] out = new byte[length];
            for (int block = 0; block * 32 < length; block++) {
                mac.update(label.getBytes(StandardCharsets.US_ASCII));
                mac.update((byte) block);
                byte[] b = mac.doFinal();
                System.arraycopy(b, 0, out, block * 32, Math.min(32, length - block * 32));
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public byte[] iin() {
        return iin.clone();
    }

    public byte[] cin() {
        return cin.clone();
    }

    public byte[] keyDiversificationData() {
        return kdd.clone();
    }

    public byte[] cplc() {
        return cplc.clone();
    }

    /** EF ICCID content: 10 bytes, BCD with nibbles swapped. */
    public byte[] iccid() {
        return iccid.clone();
    }

    /**
     * Makes the CASD credential on a background thread, as a card maker does before the card ships: the
     * RSA key generation (a second or more) is then done by the time anyone asks for it. The result is
     * the same as on first use; asking earlier waits for it.
     */
    public void prepareInBackground() {
        Thread t = new Thread(this::casd, "casd-keygen");
        t.setDaemon(true);
        t.start();
    }

    /** The CASD key pair and certificate, made from the seed on first use. */
    public synchronized CasdCredential casd() {
        if (casd == null) {
            try {
                SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
                random.setSeed(expand(seed, "CASD key", 32)); // before any output: the generator is then deterministic
                byte[] serial = expand(seed, "CASD certificate serial", 8);
                serial[0] &= 0x7F;
                casd = CasdCredential.create(random, new BigInteger(1, serial).max(BigInteger.ONE), iin, cin,
                        TestCardAuthority.bundled());
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
        return casd;
    }

    /** The data object GET DATA answers for a tag (with its tag and length), or null. */
    byte[] dataObject(int tag) {
        switch (tag) {
            case 0x0042: return tlv(new byte[] {0x42}, iin);
            case 0x0045: return tlv(new byte[] {0x45}, cin);
            case 0x00CF: return tlv(new byte[] {(byte) 0xCF}, kdd);
            case 0x9F7F: return tlv(new byte[] {(byte) 0x9F, 0x7F}, cplc);
            default: return null;
        }
    }

    private static byte[] tlv(byte[] tag, byte[] value) {
        byte[] out = Arrays.copyOf(tag, tag.length + 1 + value.length);
        out[tag.length] = (byte) value.length;
        System.arraycopy(value, 0, out, tag.length + 1, value.length);
        return out;
    }

    void write(DataOutputStream out) throws IOException {
        out.writeByte(FORMAT);
        for (byte[] b : new byte[][] {seed, iin, cin, kdd, cplc, iccid}) {
            out.writeShort(b.length);
            out.write(b);
        }
        CasdCredential c = casd(); // a saved card keeps its key: a later JDK need not generate the same one
        byte[] key = c.privateKeyPkcs8();
        byte[] cert = c.certificate();
        out.writeInt(key.length);
        out.write(key);
        out.writeInt(cert.length);
        out.write(cert);
    }

    static CardIdentity read(DataInputStream in) throws IOException {
        if (in.readUnsignedByte() != FORMAT) {
            throw new IOException("card identity of an unknown format");
        }
        byte[][] f = new byte[6][];
        for (int i = 0; i < 6; i++) {
            f[i] = new byte[in.readUnsignedShort()];
            in.readFully(f[i]);
        }
        byte[] key = new byte[checked(in.readInt())];
        in.readFully(key);
        byte[] cert = new byte[checked(in.readInt())];
        in.readFully(cert);
        try {
            return new CardIdentity(f[0], f[1], f[2], f[3], f[4], f[5], CasdCredential.restore(key, cert));
        } catch (GeneralSecurityException e) {
            throw new IOException("the card state's CASD key cannot be read", e);
        }
    }

    private static int checked(int n) throws IOException {
        if (n < 0 || n > 1 << 16) {
            throw new IOException("corrupt card identity");
        }
        return n;
    }
}
