package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.time.Clock;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.PackageVerifier;
import org.veripack.core.TrustPolicy;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CsarSigner;

/**
 * {@code veripack scas} against our own node (issue 6, "Done when"): every case PASSes, except step 1
 * which is NOT_RUN without an {@code --as-user} wrapper; usage errors exit 2.
 */
class ScasCommandTest {
    @TempDir static Path dir;
    static Path v1;
    static Path v2;
    static Path anchor;
    static Issued root;

    @BeforeAll
    static void vendorPackages() throws IOException {
        Instant now = Instant.now();
        root = TestPki.cert("CN=Acme Root CA,O=Acme").keyType(TestPki.KeyType.EC_P256)
                .validity(now.minusSeconds(86400), now.plusSeconds(86400L * 365)).ca(true).build();
        Issued signer = TestPki.cert("CN=Acme Code Signing,O=Acme").keyType(TestPki.KeyType.EC_P256)
                .validity(now.minusSeconds(86400), now.plusSeconds(86400L * 365)).codeSigningEku(true)
                .issuedBy(root).build();
        anchor = dir.resolve("acme-root.pem");
        TestPki.writeCertificatesPem(anchor, root.certificate());
        v1 = pkg(signer, root, "1.0");
        v2 = pkg(signer, root, "2.0");
    }

    private static Path pkg(Issued signer, Issued ca, String version) throws IOException {
        Path src = Files.createDirectories(dir.resolve("src-" + version));
        Files.createDirectories(src.resolve("bin"));
        Files.createDirectories(src.resolve("Files"));
        Path probe = src.resolve("bin/probe.sh");
        Files.writeString(probe, "#!/bin/sh\necho acme-mme " + version + "\n");
        Files.setPosixFilePermissions(probe, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(src.resolve("Files/mmed.bin"), "MME daemon " + version + " " + "x".repeat(300),
                StandardCharsets.UTF_8);
        Path out = dir.resolve("acme-mme-" + version + ".csar");
        CsarSigner.builder(signer.identity(ca.certificate())).name("acme-mme").version(version).build()
                .writeOption1(src, out);
        return out;
    }

    @Test
    void againstOurNodeEveryCasePasses() throws IOException {
        assumeSignatureVerificationAvailable();
        Path node = dir.resolve("node");
        Path out = dir.resolve("report-node");
        int exit = Main.execute("scas", "--package", v2.toString(), "--downgrade-package", v1.toString(),
                "--trust", anchor.toString(), "--target", "node:" + node, "--out", out.toString(),
                "--probe", "bin/probe.sh", "--timeout", "120");
        JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        List<String> notPassed = new ArrayList<>();
        for (JsonNode c : report.get("cases")) {
            String id = c.get("id").asText();
            String verdict = c.get("verdict").asText();
            boolean allowedNotRun = id.equals("TC_SW_PKG_INTEGRITY_1.step1.unauthorised-user") && verdict.equals("NOT_RUN");
            if (!verdict.equals("PASS") && !allowedNotRun) {
                notPassed.add(id + " " + verdict + ": " + c.get("actual").asText() + " (exit "
                        + c.at("/evidence/install exit code").asText() + ", codes "
                        + c.at("/evidence/finding codes in output").asText() + ")");
            }
        }
        assertTrue(notPassed.isEmpty(), String.join("\n\n", notPassed));
        assertEquals(ExitCode.OK, exit);
        assertEquals(18, report.get("cases").size());
        JsonNode flip = find(report, "TAMPER.artifact-byte-flip");
        assertTrue(flip.at("/evidence/finding codes in output").asText().contains("DIGEST_MISMATCH"));
        assertTrue(flip.at("/evidence/new audit-log lines").asText().contains("{"), "audit evidence recorded");
        assertTrue(Files.isRegularFile(out.resolve("report.html")) && Files.isRegularFile(out.resolve("junit.xml")));
    }

    /** The node can only accept the genuine package once CMS verification (crypto) is merged. */
    private static void assumeSignatureVerificationAvailable() throws IOException {
        try {
            PackageVerifier.create(TrustPolicy.withAnchors(List.of(root.certificate())), Clock.systemUTC()).verifyCsar(v2);
        } catch (UnsupportedOperationException e) {
            Assumptions.abort("CMS signature verification is not implemented on this branch yet: " + e.getMessage());
        }
    }

    private static JsonNode find(JsonNode report, String id) {
        for (JsonNode c : report.get("cases")) {
            if (c.get("id").asText().equals(id)) {
                return c;
            }
        }
        throw new AssertionError(id);
    }

    @Test
    void usageErrorsExit2() {
        Path out = dir.resolve("usage");
        assertEquals(ExitCode.USAGE, Main.execute("scas", "--package", v2.toString(), "--trust", anchor.toString(),
                "--target", "ftp:x", "--out", out.toString()));
        assertEquals(ExitCode.USAGE, Main.execute("scas", "--package", v2.toString(), "--trust", anchor.toString(),
                "--target", "cmd", "--out", out.toString()));
        assertEquals(ExitCode.USAGE, Main.execute("scas", "--package", dir.resolve("missing.csar").toString(),
                "--trust", anchor.toString(), "--target", "cmd", "--install-cmd", "true", "--out", out.toString()));
        assertEquals(ExitCode.USAGE, Main.execute("scas", "--package", v2.toString(), "--target", "cmd",
                "--install-cmd", "true", "--out", out.toString()));
    }
}
