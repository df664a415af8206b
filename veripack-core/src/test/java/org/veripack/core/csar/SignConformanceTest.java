package org.veripack.core.csar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.Verdict;
import org.veripack.core.VerificationReport;
import org.veripack.core.internal.csar.ToscaMeta;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CsarSigner;

/**
 * {@code CsarSigner} makes real third-party VNF package directories (OpenStack Tacker's, interop/tacker)
 * conformant, says where each metadata value came from, and refuses before writing anything what a
 * verifier or a node would refuse.
 */
class SignConformanceTest {
    /** vnfpkgm2's VNFD: Definitions/helloworld3_top.vnfd.yaml, node VNF. */
    private static final String VNFPKGM2_VNFD_ID = "5189df9e-7018-11ea-b97a-000c292ec2ea";

    @TempDir Path tmp;

    private Path dir(String sample) throws Exception {
        TackerSamples.Sample s = TackerSamples.all().stream().filter(x -> x.name().equals(sample)).findFirst().orElseThrow();
        return TackerSamples.assemble(s, Files.createTempDirectory(tmp, "src"));
    }

    private static CsarSigner.Builder signer() {
        return CsarSigner.builder(Fixtures.LEAF.identity(Fixtures.CA.certificate())).clock(Fixtures.CLOCK);
    }

    @Test
    void everyTackerSampleSignedWithItsVnfdMetadataVerifiesAccepted() throws Exception {
        List<String> failures = new ArrayList<>();
        for (TackerSamples.Sample s : TackerSamples.all()) {
            if (s.name().endsWith("_false_hash")) {
                continue; // refused: see aTackerMetaBlockWithAWrongHashIsRefused
            }
            Path out = tmp.resolve(s.name().replace('/', '_') + ".csar");
            signer().name("sample-vnf").build().writeOption1(TackerSamples.assemble(s, Files.createTempDirectory(tmp, "src")), out);
            VerificationReport r = Fixtures.verifier().verifyCsar(out);
            if (r.verdict() != Verdict.ACCEPTED || !r.identity().orElseThrow().version().equals("1.0") || !r.warnings().isEmpty()) {
                failures.add(s + ": " + r);
            }
        }
        assertTrue(failures.isEmpty(), () -> String.join("\n", failures));
    }

    @Test
    void metadataComesFromTheVnfdAndEachSourceIsNamed() throws Exception {
        Path out = tmp.resolve("vnfpkgm2.csar");
        CsarSigner.Result r = signer().name("sample-vnf").build().writeOption1(dir("vnfpkgm2"), out);
        Map<String, CsarSigner.MetadataValue> m = r.metadata().stream()
                .collect(Collectors.toMap(CsarSigner.MetadataValue::key, v -> v));
        assertEquals(CsarSigner.Source.GIVEN, m.get("vnf_product_name").source());
        assertEquals("DemoLabs", m.get("vnf_provider_id").value());
        assertEquals(CsarSigner.Source.VNFD, m.get("vnf_provider_id").source());
        assertEquals("Definitions/helloworld3_top.vnfd.yaml, node VNF, property provider", m.get("vnf_provider_id").detail());
        assertEquals("1.0", m.get("vnf_package_version").value());
        assertEquals(CsarSigner.Source.VNFD, m.get("vnf_package_version").source());
        assertEquals(VNFPKGM2_VNFD_ID, m.get("vnfd_id").value());
        assertEquals("1.0", m.get("vnf_software_version").value());
        assertEquals(TestPki.DEFAULT_NOW.toString(), m.get("vnf_release_date_time").value());
        assertEquals(CsarSigner.Source.SIGNING_TIME, m.get("vnf_release_date_time").source());

        String manifest = text(out, "manifest.mf");
        assertTrue(manifest.startsWith("metadata:\n    vnf_product_name: sample-vnf\n    vnf_provider_id: DemoLabs\n"
                + "    vnf_package_version: 1.0\n    vnf_release_date_time: 2026-01-01T00:00:00Z\n    vnfd_id: " + VNFPKGM2_VNFD_ID
                + "\n    vnf_software_version: 1.0\n\n"), manifest);

        // given values win over the VNFD's
        CsarSigner.Result given = signer().name("acme-vnf").version("2.0-1").provider("Acme").releaseTime("2026-02-01T10:00:00+01:00")
                .build().writeOption1(dir("vnfpkgm2"), tmp.resolve("given.csar"));
        assertTrue(given.metadata().stream().limit(4).allMatch(v -> v.source() == CsarSigner.Source.GIVEN), given::toString);
        assertEquals("2.0-1", Fixtures.verifier().verifyCsar(tmp.resolve("given.csar")).identity().orElseThrow().version());
    }

    /** The VNFD's product_name "Demo VNF" is not a name a node can install: refused, naming where it came from. */
    @Test
    void aVnfdProductNameANodeCannotUseIsRefusedBeforeWriting() throws Exception {
        Path out = tmp.resolve("x.csar");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> signer().build().writeOption1(dir("vnfpkgm2"), out));
        assertTrue(e.getMessage().startsWith("vnf_product_name 'Demo VNF' (VNFD Definitions/helloworld3_top.vnfd.yaml"), e.getMessage());
        assertNothingWritten(out);
    }

    /**
     * A VNF node whose template leaves a property to an input takes its type's default (along derived_from,
     * across an import); imports that leave the directory or name URLs are not followed.
     */
    @Test
    void vnfdValuesFallBackToTypeDefaultsAndImportsStayInside() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("vnfd/Definitions"));
        Files.writeString(tmp.resolve("secret.yaml"), "node_types:\n  evil.VNF:\n    derived_from: tosca.nodes.nfv.VNF\n");
        Files.writeString(src.resolve("top.yaml"), """
                tosca_definitions_version: tosca_simple_yaml_1_3
                imports:
                  - types.yaml
                  - ../../secret.yaml
                  - https://forge.etsi.org/rep/nfv/SOL001/raw/v4.3.1/etsi_nfv_sol001_vnfd_types.yaml
                topology_template:
                  node_templates:
                    vnf:
                      type: acme.Vnf
                      properties:
                        descriptor_id: { get_input: descriptor_id }
                        provider: Acme
                    other:
                      type: evil.VNF
                """);
        Files.writeString(src.resolve("types.yaml"), """
                node_types:
                  acme.Vnf:
                    derived_from: acme.BaseVnf
                    properties:
                      product_name: { type: string, default: acme-vnf }
                  acme.BaseVnf:
                    derived_from: tosca.nodes.nfv.VNF
                    properties:
                      descriptor_id: { type: string, default: 11111111-2222-3333-4444-555555555555 }
                      software_version: { type: string, default: 4.2 }
                """);
        CsarSigner.Result r = signer().build().writeOption1(tmp.resolve("vnfd"), tmp.resolve("vnfd.csar"));
        Map<String, String> m = r.metadata().stream().collect(Collectors.toMap(CsarSigner.MetadataValue::key, CsarSigner.MetadataValue::value));
        assertEquals(Map.of("vnf_product_name", "acme-vnf", "vnf_provider_id", "Acme", "vnf_package_version", "4.2",
                "vnf_release_date_time", "2026-01-01T00:00:00Z", "vnfd_id", "11111111-2222-3333-4444-555555555555",
                "vnf_software_version", "4.2"), m);
        assertEquals("Definitions/top.yaml", ToscaMeta.parse(text(tmp.resolve("vnfd.csar"), ToscaMeta.PATH)
                .getBytes(StandardCharsets.UTF_8)).entryDefinitions().orElseThrow());
    }

    @Test
    void versionsANodeCannotOrderAreRefusedBeforeWriting() throws Exception {
        for (String version : List.of("v3.1", "3.1 beta", "3.1/2", "")) {
            Path out = tmp.resolve("v.csar");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> signer().name("acme-vnf").version(version).build().writeOption1(Fixtures.packageDir(Files.createTempDirectory(tmp, "p")), out),
                    version);
            assertTrue(e.getMessage().contains("vnf_package_version") || e.getMessage().contains("version"), e.getMessage());
            assertNothingWritten(out);
        }
        // the same rule as the node's: these are Debian versions
        for (String version : List.of("3.1", "1:3.1~beta1-2", "3.1+b1")) {
            Path out = tmp.resolve("ok-" + version.replace(':', '_') + ".csar");
            signer().name("acme-vnf").version(version).build().writeOption1(Fixtures.packageDir(Files.createTempDirectory(tmp, "p")), out);
            assertEquals(Verdict.ACCEPTED, Fixtures.verifier().verifyCsar(out).verdict(), version);
        }
    }

    @Test
    void signersVerifiersWouldRefuseAreRefusedBeforeWriting() throws Exception {
        Issued ca = Fixtures.CA;
        Map<String, Issued> refused = Map.of(
                "KEY_USAGE_INVALID", ca,
                "CERT_EXPIRED", TestPki.cert("CN=Old,O=Acme").issuedBy(ca)
                        .validity(TestPki.DEFAULT_NOW.minusSeconds(86400 * 400), TestPki.DEFAULT_NOW.minusSeconds(86400)).build(),
                "CERT_NOT_YET_VALID", TestPki.cert("CN=Future,O=Acme").issuedBy(ca)
                        .validity(TestPki.DEFAULT_NOW.plusSeconds(86400), TestPki.DEFAULT_NOW.plusSeconds(86400 * 400)).build(),
                "ALGORITHM_REJECTED", TestPki.cert("CN=Sha1,O=Acme").issuedBy(ca).signatureAlgorithm("SHA1withECDSA").build());
        for (Map.Entry<String, Issued> c : refused.entrySet()) {
            Path out = tmp.resolve("refused.csar");
            // a CA certificate signs with its own key and has no issuer in the chain: the identity is the CA alone
            var identity = c.getValue() == ca ? ca.identity(Fixtures.ROOT.certificate()) : c.getValue().identity(ca.certificate());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CsarSigner.builder(identity)
                    .name("acme-vnf").version("1.0").clock(Fixtures.CLOCK).build().writeOption1(Fixtures.packageDir(Files.createTempDirectory(tmp, "p")), out),
                    c.getKey());
            assertTrue(e.getMessage().contains(c.getKey()), c.getKey() + ": " + e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            assertNothingWritten(out);
            Path sig = tmp.resolve("file.p7s");
            Path file = Files.writeString(tmp.resolve("file"), "content\n");
            assertThrows(IllegalArgumentException.class, () -> CsarSigner.writeDetached(identity, Fixtures.CLOCK, file, sig), c.getKey());
            assertFalse(Files.exists(sig), c.getKey());
        }
        Issued rsa1024 = TestPki.cert("CN=Weak,O=Acme").keyType(TestPki.KeyType.RSA_1024).issuedBy(ca).build();
        assertThrows(IllegalArgumentException.class, () -> CsarSigner.builder(rsa1024.identity(ca.certificate())).name("a").version("1")
                .clock(Fixtures.CLOCK).build());
    }

    @Test
    void aTackerMetaBlockWithAWrongHashIsRefused() throws Exception {
        Path out = tmp.resolve("false-hash.csar");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> signer().name("sample-vnf").build().writeOption1(dir("sample_vnf_package_csar_in_meta_and_manifest_false_hash"), out));
        assertTrue(e.getMessage().startsWith("TOSCA-Metadata/TOSCA.meta block of Scripts/install.sh: Hash "
                + "27bbdb25d8f4ed6d07d6f6581b86515e8b2f0059b236ef7b6f50d6674b34f02 does not match"), e.getMessage());
        assertNothingWritten(out);
    }

    /** TOSCA.meta is kept byte for byte, with the SOL004 entries it lacks appended to block 0; the old manifest is regenerated. */
    @Test
    void anExistingToscaMetaIsKeptAndCompleted() throws Exception {
        Path src = dir("sample_vnf_package_csar_in_meta_and_manifest");
        String original = Files.readString(src.resolve(ToscaMeta.PATH));
        Path out = tmp.resolve("meta.csar");
        CsarSigner.Result r = signer().name("sample-vnf").build().writeOption1(src, out);
        assertEquals("manifest.mf", r.manifestPath());
        String meta = text(out, ToscaMeta.PATH);
        int block0End = original.indexOf("\n\n") + 1;
        assertEquals(original.substring(0, block0End)
                + "ETSI-Entry-Change-Log: Files/ChangeLog.txt\nETSI-Entry-Certificate: manifest.cert\n"
                + original.substring(block0End), meta);
        assertEquals(Files.readString(src.resolve(ToscaMeta.PATH)), original, "the directory is not changed");
        assertTrue(text(out, "manifest.mf").startsWith("metadata:\n"), "the directory's manifest.mf is regenerated");
        assertTrue(r.notes().stream().anyMatch(n -> n.startsWith("manifest manifest.mf: regenerated")), r.notes()::toString);
    }

    /**
     * A directory without TOSCA-Metadata gets one with the entries SOL004 §4.2 and ONAP's checks want; every file
     * but the manifest is listed (ONAP R-01123); the files TOSCA.meta names exist (R-293901, R-130206).
     */
    @Test
    void aGeneratedToscaMetaHasEveryEntryAndEveryFileIsListed() throws Exception {
        Path out = tmp.resolve("no-meta.csar");
        CsarSigner.Result r = signer().name("sample-vnf").build().writeOption1(dir("sample_vnf_package_csar_manifest"), out);
        assertEquals("VNF.mf", r.manifestPath(), "the directory's root manifest keeps its name");
        ToscaMeta meta = ToscaMeta.parse(text(out, ToscaMeta.PATH).getBytes(StandardCharsets.UTF_8));
        assertEquals("1.0", meta.entries().get("tosca-meta-file-version"));
        assertEquals("1.1", meta.entries().get("csar-version"));
        assertEquals("Veripack", meta.entries().get("created-by"));
        assertEquals("VNF.yaml", meta.entryDefinitions().orElseThrow());
        assertEquals("VNF.mf", meta.entryManifest().orElseThrow());
        assertEquals("Files/ChangeLog.txt", meta.entryChangeLog().orElseThrow());
        assertEquals("VNF.cert", meta.entryCertificate().orElseThrow());

        Set<String> files = Fixtures.read(out).stream().filter(e -> (e.unixMode() & 0170000) != 0040000)
                .map(Fixtures.E::name).collect(Collectors.toCollection(TreeSet::new));
        assertTrue(files.containsAll(Set.of("VNF.yaml", "Files/ChangeLog.txt", "VNF.cert")), files::toString);
        Set<String> listed = Stream.of(text(out, "VNF.mf").split("\n")).filter(l -> l.startsWith("Source: "))
                .map(l -> l.substring(8)).collect(Collectors.toCollection(TreeSet::new));
        files.remove("VNF.mf");
        assertEquals(files, listed);
        assertTrue(text(out, "VNF.cert").startsWith("-----BEGIN CERTIFICATE-----"));
        assertEquals(Verdict.ACCEPTED, Fixtures.verifier().verifyCsar(out).verdict());
    }

    private static String text(Path zip, String name) throws Exception {
        return Fixtures.read(zip).stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no " + name))
                .text();
    }

    private void assertNothingWritten(Path out) throws Exception {
        assertFalse(Files.exists(out), out + " written");
        try (Stream<Path> s = Files.list(out.getParent())) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".veripack-")), "a temp file was left");
        }
    }
}
