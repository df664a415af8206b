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
        assertEquals(new PackageIdentity("RadioNode", "1.0", "Ericsson", "2019-01-14T11:25:00+00:00",
                "pnfd_archive_version"), m.identity().orElseThrow());
        assertEquals(2, m.artifacts().size());
        assertEquals("Artifacts/a.yaml", m.artifacts().get(0).source());
        assertEquals("SHA-512", m.artifacts().get(0).algorithm());
        assertNull(m.artifacts().get(1).hash());
        assertArrayEquals(body.getBytes(StandardCharsets.UTF_8), m.signedPrefix());
        assertTrue(new String(m.cmsPem(), StandardCharsets.US_ASCII).startsWith("-----BEGIN CMS-----\r\n"));
    }

    /** A VNF block without its version: the finding names the VNF keys (from MetadataKeys), the keys present and the missing ones. */
    @Test
    void aVnfBlockWithoutAVersionNamesTheKeysAVnfPackageRequires() {
        Manifest m = parse("metadata:\nvnf_product_name: vMRF\nvnf_provider_id: Acme\n\n" + SOURCE + CMS);
        assertTrue(m.identity().isEmpty());
        org.veripack.core.Finding f = m.noIdentityFinding("vMRF.mf");
        assertEquals(FindingCode.MALFORMED_PACKAGE, f.code());
        assertEquals("vMRF.mf", f.subject());
        assertEquals("vnf_provider_id, vnf_product_name, vnf_release_date_time, vnf_package_version or vnf_software_version", f.expected());
        assertEquals("vnf_product_name, vnf_provider_id", f.actual());

        org.veripack.core.Finding pnf = parse("metadata:\npnfd_name: RadioNode\n\n" + SOURCE + CMS).noIdentityFinding("r.mf");
        assertEquals("pnfd_provider, pnfd_name, pnfd_release_date_time, pnfd_archive_version", pnf.expected());
    }

    private static final String SOURCE = "Source: Definitions/vnfd.yaml\nAlgorithm: SHA-256\nHash: " + "ab".repeat(32) + "\n";

    private static Manifest wellFormed(String s) {
        Manifest m = parse(s);
        assertTrue(m.findings().isEmpty(), () -> s + "\n" + m.findings());
        assertEquals(List.of(), m.warnings(), s);
        return m;
    }

    /** SOL004 §4.3.2's own example writes the metadata lines unindented; ONAP's samples indent them. */
    @Test
    void v2MetadataUnindentedAsInTheSpecOrIndentedAsOnapWritesIt() {
        String keys = "vnf_product_name: vMRF\nvnf_provider_id: Acme\nvnf_package_version: 1.0\n"
                + "vnf_release_date_time: 2017-09-15T15:00:10+00:00\n";
        PackageIdentity expected = new PackageIdentity("vMRF", "1.0", "Acme", "2017-09-15T15:00:10+00:00", "vnf_package_version");
        for (String block : List.of(keys, keys.replaceAll("(?m)^", "    "), keys.replaceAll("(?m)^", "\t").replace("\n", "\r\n"))) {
            Manifest m = wellFormed("metadata:\n" + block + "\n" + SOURCE + CMS);
            assertEquals(expected, m.identity().orElseThrow(), block);
            assertEquals(1, m.artifacts().size(), block);
        }
    }

    @Test
    void v4VnfWithOnlyTheSoftwareVersionHasThatVersionAndEveryStandardKeyIsQuiet() {
        Manifest m = wellFormed("metadata:\nvnfd_id: 3b3c61e4-26b6-4686-80fc-e9ff83010c08\nvnf_provider_id: Acme\n"
                + "vnf_product_name: acme-mme\nvnf_release_date_time: 2024-03-01T10:00:00+00:00\nvnf_software_version: 5.2.1\n"
                + "vnfd_version: 1.3\ncompatible_specification_versions: 4.3.1,4.4.1\nvnfm_info: etsivnfm:v4.3.1\n\n" + SOURCE + CMS);
        assertEquals(new PackageIdentity("acme-mme", "5.2.1", "Acme", "2024-03-01T10:00:00+00:00", "vnf_software_version"),
                m.identity().orElseThrow());
        assertEquals("1.3", m.metadata().get("vnfd_version"));
    }

    @Test
    void packageVersionTakesPrecedenceOverSoftwareVersionAndEmptyValuesCountAsAbsent() {
        Manifest both = wellFormed("metadata:\nvnf_product_name: a\nvnf_software_version: 7.0\nvnf_package_version: 2.1\n\n");
        assertEquals("2.1", both.identity().orElseThrow().version());
        assertEquals("vnf_package_version", both.identity().orElseThrow().versionKey());
        Manifest empty = wellFormed("metadata:\nvnf_product_name: a\nvnf_package_version:\nvnf_software_version: 7.0\n\n");
        assertEquals("7.0", empty.identity().orElseThrow().version());
        assertEquals("vnf_software_version", empty.identity().orElseThrow().versionKey());
        assertTrue(wellFormed("metadata:\nvnf_product_name: a\nvnfd_version: 1.0\n\n").identity().isEmpty(),
                "the descriptor version is not the package version");
    }

    @Test
    void pnfAndNsdArchivesHaveTheirIdentities() {
        Manifest pnf = wellFormed("metadata:\npnfd_name: RadioNode\npnfd_provider: Ericsson\npnfd_archive_version: 2.0\n"
                + "pnfd_release_date_time: 2019-01-14T11:25:00+00:00\ncompatible_specification_versions: 3.3.1\n\n" + SOURCE);
        assertEquals(new PackageIdentity("RadioNode", "2.0", "Ericsson", "2019-01-14T11:25:00+00:00", "pnfd_archive_version"),
                pnf.identity().orElseThrow());
        Manifest ns = wellFormed("metadata:\n  nsd_designer: Acme\n  nsd_invariant_id: 1111-2222\n  nsd_name: core-ns\n"
                + "  nsd_release_date_time: 2024-01-01T00:00:00Z\n  nsd_file_structure_version: 1.1\n\n" + SOURCE);
        assertEquals(new PackageIdentity("core-ns", "1.1", "Acme", "2024-01-01T00:00:00Z", "nsd_file_structure_version"),
                ns.identity().orElseThrow());
    }

    @Test
    void unknownMetadataKeyIsAWarningNotARejection() {
        Manifest m = parse("metadata:\nvnf_product_name: a\nvnf_package_version: 1\nvendor_build: 1234\n\n" + SOURCE);
        assertTrue(m.findings().isEmpty(), m.findings()::toString);
        assertEquals(1, m.warnings().size(), m.warnings()::toString);
        assertEquals(org.veripack.core.WarningCode.MANIFEST_KEY_UNKNOWN, m.warnings().get(0).code(), m.warnings()::toString);
        assertEquals("vendor_build", m.warnings().get(0).subject(), m.warnings()::toString);
        assertEquals("a", m.identity().orElseThrow().name());
    }

    @Test
    void mixingPackageKindsIsAmbiguous() {
        for (String mixed : List.of("metadata:\nvnf_product_name: a\nvnf_package_version: 1\npnfd_name: b\n\n",
                "metadata:\n    pnfd_name: b\n    pnfd_archive_version: 1\n    nsd_name: c\n\n")) {
            Manifest m = parse(mixed + SOURCE);
            assertTrue(m.findings().stream().anyMatch(f -> f.code() == FindingCode.MALFORMED_PACKAGE), mixed);
            assertTrue(m.identity().isEmpty(), mixed);
        }
    }

    @Test
    void theBlockEndsAtItsBlankLineOrAtTheFirstSourceOrNonManoLine() {
        // Source right after the metadata, no blank line: an artifact, not a metadata key
        Manifest noBlank = wellFormed("metadata:\nvnf_product_name: a\nvnf_package_version: 1\n" + SOURCE);
        assertEquals(1, noBlank.artifacts().size());
        assertEquals(2, noBlank.metadata().size());
        Manifest nonMano = wellFormed("metadata:\npnfd_name: a\npnfd_archive_version: 1\nnon_mano_artifact_sets:\n"
                + "    onap_ves_events:\n        Source: Files/ves.yaml\n");
        assertEquals(2, nonMano.metadata().size());
        // indented lines after the blank line still belong to the block (ONAP's layout)
        Manifest indented = wellFormed("metadata:\n    vnf_product_name: a\n\n    vnf_package_version: 1\n\n" + SOURCE);
        assertEquals("1", indented.identity().orElseThrow().version());
        // an unindented unknown key after the blank line is a top-level key: a warning, not metadata
        Manifest after = parse("metadata:\nvnf_product_name: a\nvnf_package_version: 1\n\nvendor_note: x\n" + SOURCE);
        assertTrue(after.findings().isEmpty(), after.findings()::toString);
        assertEquals(2, after.metadata().size());
        assertEquals(1, after.warnings().size());
    }

    @Test
    void aStandardKeyAfterTheBlankLineOrAnArtifactKeyInTheBlockIsMalformed() {
        for (String s : List.of("metadata:\nvnf_product_name: a\n\nvnf_package_version: 2\n" + SOURCE,
                "metadata:\nvnf_product_name: a\nvnf_package_version: 1\nHash: 00\n",
                "metadata:\n    vnf_product_name: a\n    Algorithm: SHA-256\n")) {
            assertTrue(parse(s).findings().stream().anyMatch(f -> f.code() == FindingCode.MALFORMED_PACKAGE), s);
        }
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
