package org.jpkisim.gp.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** AES-CMAC against the examples of RFC 4493 section 4 (AES-128, messages of 0, 16, 40 and 64 bytes). */
class AesCmacTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] KEY = HEX.parseHex("2b7e151628aed2a6abf7158809cf4f3c");
    private static final String M64 = "6bc1bee22e409f96e93d7e117393172a"
            + "ae2d8a571e03ac9c9eb76fac45af8e51"
            + "30c81c46a35ce411e5fbc1191a0a52ef"
            + "f69f2445df4f9b17ad2b417be66c3710";

    private static String cmac(String messageHex) {
        return HEX.formatHex(AesCmac.mac(KEY, HEX.parseHex(messageHex)));
    }

    @Test
    void emptyMessage() {
        assertEquals("bb1d6929e95937287fa37d129b756746", cmac(""));
    }

    @Test
    void oneBlock() {
        assertEquals("070a16b46b4d4144f79bdd9dd04a287c", cmac(M64.substring(0, 32)));
    }

    @Test
    void partialLastBlock() {
        assertEquals("dfa66747de9ae63030ca32611497c827", cmac(M64.substring(0, 80)));
    }

    @Test
    void fourBlocks() {
        assertEquals("51f0bebf7e3b9d92fc49741779363cfe", cmac(M64));
    }

    @Test
    void paddingIsMethodTwoAndAlwaysPresent() {
        assertEquals("4142800000000000", HEX.formatHex(Bytes.pad80(HEX.parseHex("4142"), 8)));
        assertEquals("01020304050607088000000000000000", HEX.formatHex(Bytes.pad80(HEX.parseHex("0102030405060708"), 8)));
        assertEquals("4142", HEX.formatHex(Bytes.unpad80(HEX.parseHex("4142800000000000"))));
        assertEquals(null, Bytes.unpad80(HEX.parseHex("4142000000000000")));
    }
}
