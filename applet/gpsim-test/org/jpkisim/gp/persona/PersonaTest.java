package org.jpkisim.gp.persona;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.jpkisim.applet.JpkiApplet;
import org.jpkisim.gp.card.CardIdentity;
import org.jpkisim.gp.card.GpCard;
import org.junit.jupiter.api.Test;

/** Vendor personas: the files in test-vectors/personas, and what each rule does at the card's edge. */
class PersonaTest {
    static final HexFormat HEX = HexFormat.of().withUpperCase();
    static final byte[] JPKI = HEX.parseHex("D392F000260100000001");

    static PersonaCard card(String yaml) {
        Persona persona = Persona.parse("test.yaml", yaml);
        GpCard card = persona.newCard(CardIdentity.fromSeed(new byte[] {1, 2, 3}));
        card.installFromPackage(HEX.parseHex("D392F0002601000000"), 1, 0, JPKI, JPKI, JpkiApplet.class, new byte[0]);
        return new PersonaCard(persona, card::transmit, 0);
    }

    static String send(PersonaCard card, String hex) {
        return HEX.formatHex(card.transmit(HEX.parseHex(hex.replace(" ", ""))));
    }

    @Test
    void everyPersonaFileLoads() throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(Path.of("test-vectors", "personas"))) {
            files = list.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertTrue(files.size() >= 9, "at least nine personas");
        for (Path file : files) {
            Persona persona = Persona.load(file);
            assertEquals(file.getFileName().toString(), persona.name + ".yaml");
        }
    }

    @Test
    void anotherIsdAidReplacesTheGpOne() {
        PersonaCard card = card("name: visa\nisd: A000000003000000\nkeys:\n  sets: [scp02 i=15 kvn=20]\n  diversification: visa2\n");
        assertEquals("6A82", send(card, "00A4040008A000000151000000"));
        String fci = send(card, "00A4040008A000000003000000");
        assertTrue(fci.endsWith("9000") && fci.contains("8408A000000003000000"), fci);
    }

    @Test
    void onlyThePersonasKeySetsAnswer() {
        PersonaCard card = card("name: scp02-only\nkeys:\n  sets: [scp02 i=55 kvn=20]\n  diversification: emv\n");
        send(card, "00A4040008A000000151000000");
        String answer = send(card, "8050200008 0102030405060708");
        assertTrue(answer.endsWith("9000"), answer);
        assertEquals("2002", answer.substring(20, 24), "key version 20, SCP02");
        assertEquals("6A88", send(card, "8050300008 0102030405060708"));
    }

    @Test
    void shortApdusOnlyAndLoadBlockLimit() {
        PersonaCard card = card("name: short\nextended-length: false\nload:\n  max-block: 16\n");
        assertEquals("6700", send(card, "00B000000000FF"));
        assertEquals("6700", send(card, "80E8000011" + "00".repeat(17)));
    }

    @Test
    void missingKeyGenerationAndMemory() {
        PersonaCard card = card("name: small\nmemory:\n  max-content: 300\nalgorithms:\n  missing: [rsa-2048-keygen]\n");
        assertEquals("6A81", send(card, "8446000014" + "00".repeat(20)));
        send(card, "00A404000A" + HEX.formatHex(JPKI));
        // 224 bytes of block 0 are within the limit (the applet answers: no session), the next 224 are not
        String first = send(card, "84DB0A00E0" + "00".repeat(224));
        assertTrue(!first.equals("6A84"), first);
        assertEquals("6A84", send(card, "84DB0A01E0" + "00".repeat(224)));
    }

    @Test
    void malformedPersonasNameTheProblem() {
        assertThrows(IllegalArgumentException.class, () -> Persona.parse("x.yaml", "name: x\nspeed: fast\n"));
        assertThrows(IllegalArgumentException.class, () -> Persona.parse("x.yaml", "name: x\nkeys:\n  sets: [scp04 i=00 kvn=01]\n"));
        assertThrows(IllegalArgumentException.class, () -> Persona.parse("x.yaml", "name: x\nkeys:\n  sets: [scp03 i=70 kvn=30]\n  diversification: emv\n"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Persona.parse("x.yaml", "name: x\n\tatr: 3B\n"));
        assertTrue(e.getMessage().startsWith("x.yaml:2:"), e.getMessage());
    }
}
