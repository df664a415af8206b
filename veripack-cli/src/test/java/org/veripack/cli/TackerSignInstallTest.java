package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.cli.SignVerifyCommandTest.Run;
import org.veripack.core.csar.TackerSamples;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;

/**
 * {@code veripack sign --csar} over real third-party VNF package directories (OpenStack Tacker's samples,
 * veripack-core/src/test/resources/interop/tacker): each becomes a package that verifies ACCEPTED and installs
 * on a node; and {@code sign} refuses, with exit 2 and nothing written, what verify or install would refuse.
 */
class TackerSignInstallTest {
    @TempDir Path dir;
    private Issued ca;
    private Path root;
    private Path key;
    private Path cert;
    private Path chain;

    @BeforeEach
    void pki() {
        Issued r = TestPki.cert("CN=Tacker Test Root,O=Acme").ca(true).build();
        ca = TestPki.cert("CN=Tacker Test CA,O=Acme").ca(true).issuedBy(r).build();
        Issued leaf = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(ca).build();
        root = dir.resolve("root.pem");
        chain = dir.resolve("chain.pem");
        TestPki.writeCertificatesPem(root, r.certificate());
        TestPki.writeCertificatesPem(chain, ca.certificate());
        key = write("signer", leaf);
        cert = dir.resolve("signer.pem");
    }

    private Path write(String name, Issued issued) {
        TestPki.writeCertificatesPem(dir.resolve(name + ".pem"), issued.certificate());
        TestPki.writePrivateKeyPem(dir.resolve(name + ".key"), issued.keyPair().getPrivate());
        return dir.resolve(name + ".key");
    }

    private Run sign(Path keyFile, Path certFile, Path pkg, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("sign", "--key", keyFile.toString(), "--cert", certFile.toString(),
                "--chain", chain.toString(), "--csar", pkg.toString(), "--out", out.toString()));
        args.addAll(List.of(extra));
        return SignVerifyCommandTest.run(args.toArray(String[]::new));
    }

    @Test
    void eachTackerDirectorySignedBySignVerifiesAcceptedAndInstalls() throws Exception {
        int n = 0;
        for (TackerSamples.Sample s : TackerSamples.all()) {
            if (s.name().endsWith("_false_hash")) {
                continue; // its TOSCA.meta states a wrong hash: refused, see aDirectoryWithAWrongToscaMetaHashIsRefused
            }
            Path pkg = TackerSamples.assemble(s, Files.createTempDirectory(dir, "src"));
            Path csar = dir.resolve("sample-" + n + ".csar");
            Run signed = sign(key, cert, pkg, csar, "--name", "sample-vnf");
            assertEquals(ExitCode.OK, signed.exit(), s + ": " + signed.err());
            assertTrue(signed.err().contains("veripack sign: vnf_product_name: sample-vnf (from --name)"), signed.err());
            assertTrue(signed.err().contains("veripack sign: vnf_package_version: 1.0 (from VNFD "), signed.err());

            Run verified = SignVerifyCommandTest.run("verify", "--trust", root.toString(), "--json", csar.toString());
            assertEquals(ExitCode.OK, verified.exit(), s + ": " + verified.err());
            assertEquals("ACCEPTED", verified.json().get("verdict").asText());

            Path node = dir.resolve("node-" + n++);
            Run trusted = SignVerifyCommandTest.run("trust", "set", "--root", node.toString(), "--trust", root.toString());
            assertEquals(ExitCode.OK, trusted.exit(), trusted.err());
            Run installed = SignVerifyCommandTest.run("install", "--root", node.toString(), csar.toString());
            assertEquals(ExitCode.OK, installed.exit(), s + ": " + installed.err());
            Run status = SignVerifyCommandTest.run("status", "--root", node.toString(), "--json");
            assertEquals("sample-vnf", status.json().path("active").path("name").asText(), status.out());
            assertEquals("1.0", status.json().path("active").path("version").asText(), status.out());
        }
        assertEquals(TackerSamples.all().size() - 1, n);
    }

    /** A manifest without a metadata block: exit 1, MALFORMED_PACKAGE whose expected value names each package type's keys. */
    @Test
    void verifyOfAManifestWithoutMetadataNamesTheKeysThePackageTypeRequires() throws Exception {
        TackerSamples.Sample s = TackerSamples.all().stream().filter(x -> x.name().equals("sample_vnf_package_csar_manifest")).findFirst().orElseThrow();
        Path zip = TackerSamples.zip(s, TackerSamples.assemble(s, Files.createTempDirectory(dir, "src")), dir.resolve("no-metadata.zip"));
        Run r = SignVerifyCommandTest.run("verify", "--trust", root.toString(), "--json", zip.toString());
        assertEquals(ExitCode.REJECTED, r.exit(), r.err());
        List<String> expected = new ArrayList<>();
        r.json().path("findings").forEach(f -> {
            if (f.path("code").asText().equals("MALFORMED_PACKAGE") && f.path("actual").asText().equals("none")) {
                expected.add(f.path("expected").asText());
            }
        });
        assertEquals(List.of("VNF: vnf_provider_id, vnf_product_name, vnf_release_date_time, vnf_package_version or vnf_software_version; "
                + "PNF: pnfd_provider, pnfd_name, pnfd_release_date_time, pnfd_archive_version; "
                + "NS: nsd_designer, nsd_name, nsd_release_date_time, nsd_file_structure_version"), expected, r.out());
    }

    @Test
    void aDirectoryWithAWrongToscaMetaHashIsRefused() throws Exception {
        TackerSamples.Sample s = TackerSamples.all().stream().filter(x -> x.name().endsWith("_false_hash")).findFirst().orElseThrow();
        Path out = dir.resolve("false-hash.csar");
        Run r = sign(key, cert, TackerSamples.assemble(s, dir), out, "--name", "sample-vnf");
        assertRefused(r, out);
        assertTrue(r.err().contains("TOSCA.meta block of Scripts/install.sh"), r.err());
    }

    @Test
    void aVnfdProductNameANodeCannotUseNeedsName() throws Exception {
        TackerSamples.Sample s = TackerSamples.all().stream().filter(x -> x.name().equals("vnfpkgm2")).findFirst().orElseThrow();
        Path out = dir.resolve("no-name.csar");
        Run r = sign(key, cert, TackerSamples.assemble(s, dir), out);
        assertRefused(r, out);
        assertTrue(r.err().contains("vnf_product_name 'Demo VNF'") && r.err().contains("--name"), r.err());
    }

    @Test
    void signRefusesWhatVerifyOrInstallWouldRefuseBeforeWritingAnything() throws Exception {
        Path pkg = Files.createDirectories(dir.resolve("pkg/Files"));
        Files.writeString(pkg.resolve("app.conf"), "x: 1\n");
        pkg = dir.resolve("pkg");
        Path out = dir.resolve("out.csar");
        for (String version : List.of("3.1 beta", "v3.1")) {
            assertRefused(sign(key, cert, pkg, out, "--name", "acme", "--version", version), out);
        }
        // a CA certificate (no codeSigning EKU, no digitalSignature)
        Path caKey = write("ca", ca);
        assertRefused(sign(caKey, dir.resolve("ca.pem"), pkg, out, "--name", "acme", "--version", "3.1"), out);
        Run detached = SignVerifyCommandTest.run("sign", "--key", caKey.toString(), "--cert", dir.resolve("ca.pem").toString(),
                "--detached", pkg.resolve("Files/app.conf").toString(), "--out", out.toString());
        assertRefused(detached, out);
        // expired, and a weak (SHA-1) certificate signature
        Path expired = write("expired", TestPki.cert("CN=Expired,O=Acme").issuedBy(ca)
                .validity(TestPki.DEFAULT_NOT_BEFORE, TestPki.DEFAULT_NOW).build());
        Run e = sign(expired, dir.resolve("expired.pem"), pkg, out, "--name", "acme", "--version", "3.1");
        assertRefused(e, out);
        assertTrue(e.err().contains("CERT_EXPIRED"), e.err());
        Path sha1 = write("sha1", TestPki.cert("CN=Sha1,O=Acme").issuedBy(ca).signatureAlgorithm("SHA1withECDSA").build());
        Run w = sign(sha1, dir.resolve("sha1.pem"), pkg, out, "--name", "acme", "--version", "3.1");
        assertRefused(w, out);
        assertTrue(w.err().contains("ALGORITHM_REJECTED"), w.err());

        // two names a verifier reads as one (ARTIFACT_DUPLICATE): letter case, and NFC vs NFD
        for (List<String> pair : List.of(List.of("Files/Readme", "Files/README"), List.of("Files/caf\u00e9", "Files/cafe\u0301"))) {
            Path twin = Files.createDirectories(dir.resolve("twin-" + pair.get(0).length() + "/Files")).getParent();
            Files.writeString(twin.resolve(pair.get(0)), "a\n");
            Files.writeString(twin.resolve(pair.get(1)), "b\n");
            Run t = sign(key, cert, twin, out, "--name", "acme", "--version", "3.1");
            assertRefused(t, out);
            assertTrue(t.err().contains("ARTIFACT_DUPLICATE"), t.err());
        }
        assertEquals(ExitCode.OK, sign(key, cert, pkg, out, "--name", "acme", "--version", "1:3.1~beta1-2").exit());
        assertTrue(Files.isRegularFile(out));
    }

    @Test
    void signHelpStatesTheVersionRule() {
        Run r = SignVerifyCommandTest.run("sign", "--help");
        assertEquals(ExitCode.OK, r.exit());
        String help = r.out().replaceAll("\\s+", " ");
        assertTrue(help.contains("Debian version [epoch:]upstream[-revision]"), help);
    }

    private void assertRefused(Run r, Path out) throws Exception {
        assertEquals(ExitCode.USAGE, r.exit(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        assertFalse(Files.exists(out), "nothing written");
        try (Stream<Path> s = Files.list(out.getParent())) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".veripack-")), "no temp file left");
        }
    }
}
