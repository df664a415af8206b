package org.veripack.core.csar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.FindingCode;
import org.veripack.core.PackageVerifier;
import org.veripack.core.TestResources;
import org.veripack.core.TrustPolicy;
import org.veripack.core.TrustPolicyLoader;
import org.veripack.core.Verdict;
import org.veripack.core.VerificationReport;
import org.veripack.core.pki.Openssl;
import org.veripack.core.pki.TestPki;

/** Interop with openssl (both ways) and with the ONAP SOL004 sample packages. */
class InteropTest {
    @TempDir Path tmp;

    private static Path onapSamples() {
        return TestResources.path("interop/onap-sol004");
    }

    @Test
    void ourCsarManifestVerifiesWithOpensslCms() throws Exception {
        Path csar = Fixtures.genuineCsar(tmp);
        Fixtures.E mf = Fixtures.read(csar).stream().filter(e -> e.name().endsWith(".mf")).findFirst().orElseThrow();
        String text = mf.text();
        int begin = text.indexOf("-----BEGIN CMS-----");
        Files.write(tmp.resolve("prefix"), text.substring(0, begin).getBytes(StandardCharsets.UTF_8));
        Files.write(tmp.resolve("block.pem"), text.substring(begin).getBytes(StandardCharsets.UTF_8));
        TestPki.writeCertificatesPem(tmp.resolve("root.pem"), Fixtures.ROOT.certificate());
        String out = Openssl.ok(tmp, "cms", "-verify", "-binary", "-inform", "PEM", "-in", "block.pem", "-content", "prefix",
                "-CAfile", "root.pem", "-purpose", "any", "-attime", Long.toString(TestPki.DEFAULT_NOW.getEpochSecond()),
                "-out", "/dev/null");
        assertTrue(out.contains("Verification successful"), out);
    }

    @Test
    void csarBuiltWithZipAndOpensslVerifiesWithUs() throws Exception {
        Path work = Files.createDirectories(tmp.resolve("w"));
        Files.createDirectories(work.resolve("Files"));
        Files.createDirectories(work.resolve("TOSCA-Metadata"));
        Files.writeString(work.resolve("Files/app.bin"), "application\n");
        Files.writeString(work.resolve("TOSCA-Metadata/TOSCA.meta"),
                "TOSCA-Meta-File-Version: 1.0\r\nCSAR-Version: 1.1\r\nETSI-Entry-Manifest: app.mf\r\n");
        String sha = org.veripack.core.internal.csar.Digests.sha256Hex(work.resolve("Files/app.bin"));
        Files.writeString(work.resolve("prefix.mf"), "metadata:\r\n\tvnf_product_name: app\r\n\tvnf_provider_id: Other\r\n"
                + "\tvnf_package_version: 1.0\r\n\tvnf_release_date_time: 2026-01-01T00:00:00Z\r\n\r\n"
                + "source: Files/app.bin\r\nHash: " + sha + "\r\nAlgorithm: sha256\r\n\r\n");
        TestPki.writeCertificatesPem(work.resolve("signer.pem"), Fixtures.LEAF.certificate());
        TestPki.writeCertificatesPem(work.resolve("ca.pem"), Fixtures.CA.certificate());
        TestPki.writePrivateKeyPem(work.resolve("signer.key"), Fixtures.LEAF.keyPair().getPrivate());
        Openssl.ok(work, "cms", "-sign", "-binary", "-in", "prefix.mf", "-signer", "signer.pem", "-inkey", "signer.key",
                "-certfile", "ca.pem", "-outform", "PEM", "-out", "sig.pem", "-md", "sha256");
        byte[] prefix = Files.readAllBytes(work.resolve("prefix.mf"));
        byte[] sig = Files.readAllBytes(work.resolve("sig.pem"));
        byte[] mf = new byte[prefix.length + sig.length];
        System.arraycopy(prefix, 0, mf, 0, prefix.length);
        System.arraycopy(sig, 0, mf, prefix.length, sig.length);
        Files.write(work.resolve("app.mf"), mf);
        run(work, "zip", "-q", "-X", "../other.csar", "app.mf", "TOSCA-Metadata/TOSCA.meta", "Files/app.bin");
        VerificationReport r = Fixtures.verifier().verifyCsar(tmp.resolve("other.csar"));
        assertEquals(Verdict.ACCEPTED, r.verdict(), r::toString);
        assertEquals("app", r.identity().orElseThrow().name());

        // the same zip with one byte of the artifact changed is REJECTED
        Files.writeString(work.resolve("Files/app.bin"), "applicatioN\n");
        run(work, "zip", "-q", "-X", "../changed.csar", "app.mf", "TOSCA-Metadata/TOSCA.meta", "Files/app.bin");
        assertTrue(Fixtures.verifier().verifyCsar(tmp.resolve("changed.csar")).has(FindingCode.DIGEST_MISMATCH));
    }

    /**
     * A CSAR as a third party writes it: {@code manifestHead} + one artifact block, signed by
     * {@code openssl cms -sign -binary} (option 1), zipped by {@code zip}; TOSCA.meta names the manifest.
     */
    private Path opensslSignedCsar(String name, String manifestHead) throws Exception {
        Path work = Files.createDirectories(tmp.resolve(name));
        Files.createDirectories(work.resolve("Definitions"));
        Files.createDirectories(work.resolve("TOSCA-Metadata"));
        Files.writeString(work.resolve("Definitions/main.yaml"), "tosca_definitions_version: tosca_simple_yaml_1_3\n");
        Files.writeString(work.resolve("TOSCA-Metadata/TOSCA.meta"), "TOSCA-Meta-File-Version: 1.0\nCSAR-Version: 1.1\n"
                + "Created-By: a vendor\nEntry-Definitions: Definitions/main.yaml\nETSI-Entry-Manifest: main.mf\n");
        String sha = org.veripack.core.internal.csar.Digests.sha256Hex(work.resolve("Definitions/main.yaml"));
        Files.writeString(work.resolve("prefix.mf"), manifestHead + "Source: Definitions/main.yaml\nAlgorithm: SHA-256\nHash: " + sha + "\n");
        TestPki.writeCertificatesPem(work.resolve("signer.pem"), Fixtures.LEAF.certificate());
        TestPki.writeCertificatesPem(work.resolve("ca.pem"), Fixtures.CA.certificate());
        TestPki.writePrivateKeyPem(work.resolve("signer.key"), Fixtures.LEAF.keyPair().getPrivate());
        Openssl.ok(work, "cms", "-sign", "-binary", "-in", "prefix.mf", "-signer", "signer.pem", "-inkey", "signer.key",
                "-certfile", "ca.pem", "-outform", "PEM", "-out", "sig.pem", "-md", "sha256");
        Files.write(work.resolve("main.mf"), (Files.readString(work.resolve("prefix.mf")) + Files.readString(work.resolve("sig.pem")))
                .getBytes(StandardCharsets.UTF_8));
        run(work, "zip", "-q", "-X", "../" + name + ".csar", "main.mf", "TOSCA-Metadata/TOSCA.meta", "Definitions/main.yaml");
        return tmp.resolve(name + ".csar");
    }

    /** SOL004 (v2.6.1 to v4.x) metadata as vendors write it, signed by openssl: ACCEPTED, right identity, no warning. */
    @Test
    void sol004MetadataOfEveryVersionAndKindSignedByOpensslIsAcceptedWithoutWarnings() throws Exception {
        String v2 = "vnf_product_name: vMRF\nvnf_provider_id: Acme\nvnf_package_version: 1.0\n"
                + "vnf_release_date_time: 2017-09-15T15:00:10+00:00\n";
        record Case(String name, String head, String packageName, String version, String versionKey) { }
        List<Case> cases = List.of(
                new Case("v2-unindented", "metadata:\n" + v2 + "\n", "vMRF", "1.0", "vnf_package_version"),
                new Case("v2-indented", "metadata:\n" + v2.replaceAll("(?m)^", "    ") + "\n", "vMRF", "1.0", "vnf_package_version"),
                new Case("v4-vnf", "metadata:\nvnfd_id: 3b3c61e4-26b6-4686-80fc-e9ff83010c08\nvnf_provider_id: Acme\n"
                        + "vnf_product_name: acme-mme\nvnf_release_date_time: 2024-03-01T10:00:00+00:00\nvnf_software_version: 5.2.1\n"
                        + "vnfd_version: 1.3\ncompatible_specification_versions: 4.3.1\nvnfm_info: etsivnfm:v4.3.1\n\n",
                        "acme-mme", "5.2.1", "vnf_software_version"),
                new Case("pnf", "metadata:\npnfd_name: RadioNode\npnfd_provider: Acme\npnfd_archive_version: 2.0\n"
                        + "pnfd_release_date_time: 2019-03-11T11:25:00+00:00\n\n", "RadioNode", "2.0", "pnfd_archive_version"));
        List<String> mismatches = new ArrayList<>();
        for (Case c : cases) {
            VerificationReport r = Fixtures.verifier().verifyCsar(opensslSignedCsar(c.name(), c.head()));
            var id = r.identity().orElse(null);
            if (r.verdict() != Verdict.ACCEPTED || !r.warnings().isEmpty() || id == null || !id.name().equals(c.packageName())
                    || !id.version().equals(c.version()) || !c.versionKey().equals(id.versionKey())) {
                mismatches.add(c.name() + ": " + r + " warnings " + r.warnings());
            }
        }
        assertTrue(mismatches.isEmpty(), () -> String.join("\n", mismatches));
    }

    /** The same openssl-signed manifest with VNF and PNF keys mixed: which identity applies is ambiguous. */
    @Test
    void opensslSignedManifestMixingVnfAndPnfKeysIsMalformed() throws Exception {
        VerificationReport r = Fixtures.verifier().verifyCsar(opensslSignedCsar("mixed",
                "metadata:\nvnf_product_name: a\nvnf_package_version: 1.0\npnfd_name: b\npnfd_archive_version: 9.0\n\n"));
        assertEquals(Verdict.REJECTED, r.verdict());
        assertTrue(r.has(FindingCode.MALFORMED_PACKAGE), r::toString);
    }

    @Test
    void opensslDetachedSignaturesDerAndPemVerifyWithUs() throws Exception {
        Path file = Files.writeString(tmp.resolve("image.bin"), "image\n".repeat(100));
        TestPki.writeCertificatesPem(tmp.resolve("signer.pem"), Fixtures.LEAF.certificate());
        TestPki.writeCertificatesPem(tmp.resolve("ca.pem"), Fixtures.CA.certificate());
        TestPki.writePrivateKeyPem(tmp.resolve("signer.key"), Fixtures.LEAF.keyPair().getPrivate());
        for (String form : new String[] {"DER", "PEM"}) {
            Openssl.ok(tmp, "cms", "-sign", "-binary", "-in", "image.bin", "-signer", "signer.pem", "-inkey", "signer.key",
                    "-certfile", "ca.pem", "-outform", form, "-out", "image." + form);
            VerificationReport r = Fixtures.verifier().verifyDetached(file, tmp.resolve("image." + form));
            assertEquals(Verdict.ACCEPTED, r.verdict(), () -> form + ": " + r);
        }
    }

    /** A 7 MiB file: its bytes reach the digest through many read buffers, in order. */
    @Test
    void opensslDetachedSignatureOverALargeFileAndAByteFlippedInItsMiddle() throws Exception {
        byte[] data = new byte[7 * 1024 * 1024 + 5];
        new java.util.Random(11).nextBytes(data);
        Path file = Files.write(tmp.resolve("large.bin"), data);
        TestPki.writeCertificatesPem(tmp.resolve("signer.pem"), Fixtures.LEAF.certificate());
        TestPki.writeCertificatesPem(tmp.resolve("ca.pem"), Fixtures.CA.certificate());
        TestPki.writePrivateKeyPem(tmp.resolve("signer.key"), Fixtures.LEAF.keyPair().getPrivate());
        Openssl.ok(tmp, "cms", "-sign", "-binary", "-in", "large.bin", "-signer", "signer.pem", "-inkey", "signer.key",
                "-certfile", "ca.pem", "-outform", "DER", "-out", "large.p7s");
        VerificationReport ok = Fixtures.verifier().verifyDetached(file, tmp.resolve("large.p7s"));
        assertEquals(Verdict.ACCEPTED, ok.verdict(), ok::toString);
        String dgst = Openssl.ok(tmp, "dgst", "-sha256", "-r", "large.bin");
        assertEquals(dgst.substring(0, dgst.indexOf(' ')), ok.packageSha256().orElseThrow());
        data[data.length / 2] ^= 0x40;
        Files.write(file, data);
        VerificationReport bad = Fixtures.verifier().verifyDetached(file, tmp.resolve("large.p7s"));
        assertEquals(Verdict.REJECTED, bad.verdict());
        assertTrue(bad.has(FindingCode.SIGNATURE_INVALID), bad::toString);
    }

    // --- ONAP samples (test resources interop/onap-sol004, README.md there) ---

    private VerificationReport onap(String file, String anchor, String at) throws Exception {
        TrustPolicy p = TrustPolicy.builder()
                .trustAnchors(TrustPolicyLoader.readCertificates(null, "anchor", onapSamples().resolve(anchor)))
                .requireCodeSigningEku(false).build();
        Clock clock = at == null ? Clock.systemUTC() : Clock.fixed(Instant.parse(at), ZoneOffset.UTC);
        return PackageVerifier.create(p, clock).verifyCsar(onapSamples().resolve(file));
    }

    @Test
    void onapSamplesGetTheirDocumentedVerdicts() throws Exception {
        List<String> mismatches = new ArrayList<>();
        check(mismatches, "csar-cert-in-cms-valid.csar", "anchor-2020-09.pem", "2020-10-01T00:00:00Z", Verdict.ACCEPTED);
        check(mismatches, "csar-cert-in-cms-incorrect-hash.csar", "anchor-2020-09.pem", "2020-10-01T00:00:00Z", Verdict.REJECTED,
                FindingCode.DIGEST_MISMATCH, FindingCode.SIGNATURE_INVALID);
        check(mismatches, "signed-package-valid-signature.zip", "anchor-2019-06.pem", "2019-07-01T00:00:00Z", Verdict.ACCEPTED);
        check(mismatches, "signed-package-invalid-signature.zip", "anchor-2019-05.pem", "2019-06-15T00:00:00Z", Verdict.REJECTED,
                FindingCode.SIGNATURE_INVALID);
        VerificationReport fake = onap("csar-option2-fake-cms.zip", "anchor-2019-06.pem", "2019-07-01T00:00:00Z");
        if (fake.accepted() || !(fake.has(FindingCode.SIGNATURE_INVALID) || fake.has(FindingCode.MALFORMED_PACKAGE))) {
            mismatches.add("csar-option2-fake-cms.zip: " + fake);
        }
        assertTrue(mismatches.isEmpty(), () -> String.join("\n", mismatches));
    }

    @Test
    void onapSamplesAreExpiredToday() throws Exception {
        List<String> mismatches = new ArrayList<>();
        for (String[] s : new String[][] {{"csar-cert-in-cms-valid.csar", "anchor-2020-09.pem"},
                {"signed-package-valid-signature.zip", "anchor-2019-06.pem"}}) {
            VerificationReport r = onap(s[0], s[1], null);
            if (r.accepted() || !r.has(FindingCode.CERT_EXPIRED)) {
                mismatches.add(s[0] + ": " + r);
            }
        }
        assertTrue(mismatches.isEmpty(), () -> String.join("\n", mismatches));
    }

    private void check(List<String> mismatches, String file, String anchor, String at, Verdict verdict, FindingCode... codes)
            throws Exception {
        VerificationReport r = onap(file, anchor, at);
        if (r.verdict() != verdict) {
            mismatches.add(file + ": expected " + verdict + ", got " + r);
        }
        for (FindingCode c : codes) {
            if (!r.has(c)) {
                mismatches.add(file + ": missing " + c + " in " + r);
            }
        }
    }

    private static void run(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
    }
}
