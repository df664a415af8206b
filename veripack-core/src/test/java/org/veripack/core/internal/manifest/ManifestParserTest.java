package org.veripack.core.internal.manifest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.veripack.core.FindingCode;
import org.veripack.core.PackageIdentity;

class ManifestParserTest {
    private static final String CMS = "-----BEGIN CMS-----\nMIIB\n-----END CMS-----\n";

    private static Manifest parse(String s) {
        return ManifestParser.parse(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void onapStyleManifestParses() {
        String body = "metadata:\r\n\tpnfd_name: RadioNode\r\n\tpnfd_provider: Ericsson\r\n\tpnfd_archive_version: 1.0\r\n"
                + "\tpnfd_release_date_time: 2019-01-14T11:25:00+00:00\r\n\r\n#comment\r\n\r\n"
                + "source: Artifacts/a.yaml\r\nHash: " + "ab".repeat(64) + "\r\nAlgorithm: SHA-512\r\n\r\n"
                + "Source: Artifacts/b.txt\r\n"
                + "non_mano_artifact_sets:\r\n\r\n    onap_ves_events:\r\n        source: Artifacts/a.yaml\r\n\r\n";
        Manifest m = parse(body + CMS.replace("\n", "\r\n"));
        assertTrue(m.findings().isEmpty(), m.findings()::toString);
        assertEquals(new PackageIdentity("RadioNode", "1.0", "Ericsson", "2019-01-14T11:25:00+00:00"), m.identity().orElseThrow());
        assertEquals(2, m.artifacts().size());
        assertEquals("Artifacts/a.yaml", m.artifacts().get(0).source());
        assertEquals("SHA-512", m.artifacts().get(0).algorithm());
        assertNull(m.artifacts().get(1).hash());
        assertArrayEquals(body.getBytes(StandardCharsets.UTF_8), m.signedPrefix());
        assertTrue(new String(m.cmsPem(), StandardCharsets.US_ASCII).startsWith("-----BEGIN CMS-----\r\n"));
    }

    @Test
    void signedPrefixIsExactBytesBeforeTheBeginLine() {
        String body = "metadata:\n    vnf_product_name: x\n    vnf_package_version: 1\n\nSource: a\nAlgorithm: SHA-256\nHash: 00\n\n\n";
        Manifest m = parse(body + CMS);
        assertArrayEquals(body.getBytes(StandardCharsets.UTF_8), m.signedPrefix());
        assertTrue(m.hasCms());
    }

    @Test
    void writerOutputRoundTrips() {
        Map<String, String> md = new LinkedHashMap<>();
        md.put("vnf_product_name", "acme-mme");
        md.put("vnf_provider_id", "Acme");
        md.put("vnf_package_version", "2.1");
        byte[] w = ManifestWriter.write(md, List.of(new ManifestWriter.Artifact("Files/a", "SHA-256", "11".repeat(32))));
        Manifest m = ManifestParser.parse(w);
        assertTrue(m.findings().isEmpty());
        assertEquals("acme-mme", m.identity().orElseThrow().name());
        assertEquals("11".repeat(32), m.artifacts().get(0).hash());
        assertArrayEquals(w, m.signedPrefix());
    }

    @Test
    void ambiguitiesAreMalformed() {
        List<String> bad = List.of(
                "metadata:\n  vnf_product_name: a\n  vnf_product_name: b\n",
                "metadata:\n  vnf_product_name: a\nmetadata:\n  vnf_package_version: 1\n",
                "Source: a\nAlgorithm: SHA-256\nAlgorithm: SHA-512\n",
                "Hash: 00\n",
                "this is not a key value line\n",
                "Source: a\n" + CMS + "Source: b\n",
                "Source: a\n" + CMS + CMS,
                "Source: a\n-----BEGIN CMS-----\nMIIB\n");
        for (String s : bad) {
            Manifest m = parse(s);
            assertTrue(m.findings().stream().anyMatch(f -> f.code() == FindingCode.MALFORMED_PACKAGE), s);
        }
    }

    @Test
    void veripackModeIsReadInAnySpellingAndRoundTrips() {
        String body = "Source: bin/mmed\nAlgorithm: SHA-256\nHash: " + "11".repeat(32) + "\nVeripack-Mode: 100755\n\n"
                + "source: etc/conf\r\nhash: " + "22".repeat(32) + "\r\nveripack-mode: 100640\r\nalgorithm: sha256\r\n\n"
                + "Source: bin/mme\nAlgorithm: SHA-256\nHash: " + "33".repeat(32) + "\n\tVERIPACK-MODE: 120000\n\n"
                + "Source: other\nAlgorithm: SHA-256\nHash: " + "44".repeat(32) + "\n";
        Manifest m = parse(body + CMS);
        assertTrue(m.findings().isEmpty(), m.findings()::toString);
        assertEquals(List.of(0100755, 0100640, 0120000), m.artifacts().subList(0, 3).stream().map(Manifest.Entry::mode).toList());
        assertNull(m.artifacts().get(3).mode());

        byte[] w = ManifestWriter.write(Map.of("vnf_product_name", "a"), List.of(
                new ManifestWriter.Artifact("bin/mmed", "SHA-256", "11".repeat(32), 0100755),
                new ManifestWriter.Artifact("bin/mme", "SHA-256", "33".repeat(32), 0120000)));
        assertTrue(new String(w, StandardCharsets.UTF_8).contains("Hash: " + "11".repeat(32) + "\nVeripack-Mode: 100755\n"));
        assertEquals(List.of(0100755, 0120000), ManifestParser.parse(w).artifacts().stream().map(Manifest.Entry::mode).toList());
    }

    @Test
    void badVeripackModeIsMalformed() {
        for (String v : List.of("755", "0100755", "104755", "040755", "120777", "100855", "rwxr-xr-x", "")) {
            Manifest m = parse("Source: a\nAlgorithm: SHA-256\nHash: " + "11".repeat(32) + "\nVeripack-Mode: " + v + "\n");
            assertTrue(m.findings().stream().anyMatch(f -> f.code() == FindingCode.MALFORMED_PACKAGE), v);
            assertNull(m.artifacts().get(0).mode(), v);
        }
        for (String s : List.of("Veripack-Mode: 100644\nSource: a\n",
                "Source: a\nVeripack-Mode: 100644\nVeripack-Mode: 100755\n")) {
            assertTrue(parse(s).findings().stream().anyMatch(f -> f.code() == FindingCode.MALFORMED_PACKAGE), s);
        }
    }

    @Test
    void whitespaceAfterEndLineIsAllowed() {
        Manifest m = parse("Source: a\n" + CMS + "\n  \n");
        assertTrue(m.findings().isEmpty(), m.findings()::toString);
    }

    @Test
    void nonUtf8IsMalformed() {
        byte[] b = Arrays.copyOf("Source: a\n".getBytes(StandardCharsets.US_ASCII), 12);
        b[10] = (byte) 0xC3;
        b[11] = (byte) 0x28;
        assertTrue(ManifestParser.parse(b).findings().stream().anyMatch(f -> f.code() == FindingCode.MALFORMED_PACKAGE));
    }

    @Test
    void algorithmSpellings() {
        assertEquals("SHA-256", DigestAlgorithms.canonical("sha256").orElseThrow());
        assertEquals("SHA-384", DigestAlgorithms.canonical("SHA-384").orElseThrow());
        assertEquals("SHA-512", DigestAlgorithms.canonical("SHA_512").orElseThrow());
        assertTrue(DigestAlgorithms.canonical("SHA-1").isEmpty());
        assertTrue(DigestAlgorithms.canonical("MD5").isEmpty());
    }
}
