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
import java.util.Set;
import java.util.TreeSet;
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
 * {@code veripack scas} against our own node: no case FAILs (a FAIL against a correct node would be a false
 * verdict), every case PASSes except step 1, which is NOT_RUN without an {@code --as-user} wrapper; usage
 * errors exit 2.
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

    /**
     * A multi-file package as a vendor builds it: its own TOSCA.meta (identical in every version: the
     * manifest is {@code acme-mme.mf}), a definitions file and a configuration file that do not change, a
     * library with a symlink to it, and two files that do change between versions.
     */
    private static Path pkg(Issued signer, Issued ca, String version) throws IOException {
        Path src = Files.createDirectories(dir.resolve("src-" + version));
        for (String d : List.of("TOSCA-Metadata", "Definitions", "bin", "Files", "etc", "lib")) {
            Files.createDirectories(src.resolve(d));
        }
        Files.writeString(src.resolve(TOSCA_META), "TOSCA-Meta-File-Version: 1.0\nCSAR-Version: 1.1\nCreated-By: Acme\n"
                + "Entry-Definitions: Definitions/mme.yaml\nETSI-Entry-Manifest: acme-mme.mf\n");
        Files.writeString(src.resolve("Definitions/mme.yaml"), "tosca_definitions_version: tosca_simple_yaml_1_3\n");
        Files.writeString(src.resolve("etc/mme.conf"), "plmn: 00101\nmme_gid: 2\n");
        Files.writeString(src.resolve("lib/libmme.so.1"), "ELF-ish shared library " + "z".repeat(400));
        Files.createSymbolicLink(src.resolve("lib/libmme.so"), Path.of("libmme.so.1"));
        Path probe = src.resolve("bin/probe.sh");
        Files.writeString(probe, "#!/bin/sh\n[ \"$1\" = --check ] && [ \"$PROBE_MODE\" = health ] || exit 9\n"
                + "echo acme-mme " + version + "\n");
        Files.setPosixFilePermissions(probe, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(src.resolve("Files/mmed.bin"), "MME daemon " + version + " " + "x".repeat(300),
                StandardCharsets.UTF_8);
        Path out = dir.resolve("acme-mme-" + version + ".csar");
        CsarSigner.builder(signer.identity(ca.certificate())).name("acme-mme").version(version).build()
                .writeOption1(src, out);
        return out;
    }

    private static final String TOSCA_META = "TOSCA-Metadata/TOSCA.meta";

    @Test
    void againstOurNodeNoCaseFailsAndEveryRunnableCasePasses() throws IOException {
        assumeSignatureVerificationAvailable();
        assertEquals(Files.readString(dir.resolve("src-1.0").resolve(TOSCA_META)),
                Files.readString(dir.resolve("src-2.0").resolve(TOSCA_META)), "the fixture's TOSCA.meta is identical");
        Path node = dir.resolve("node");
        Path out = dir.resolve("report-node");
        int exit = Main.execute("scas", "--package", v2.toString(), "--downgrade-package", v1.toString(),
                "--trust", anchor.toString(), "--target", "node:" + node, "--out", out.toString(),
                "--probe", "bin/probe.sh --check", "--probe-env", "PROBE_MODE=health", "--timeout", "120");
        JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        List<String> failed = new ArrayList<>();
        Set<String> notRun = new TreeSet<>();
        int passed = 0;
        for (JsonNode c : report.get("cases")) {
            String id = c.get("id").asText();
            switch (c.get("verdict").asText()) {
                case "PASS" -> passed++;
                case "NOT_RUN" -> notRun.add(id);
                default -> failed.add(id + " " + c.get("verdict").asText() + ": " + c.get("actual").asText() + " (exit "
                        + c.at("/evidence/install exit code").asText() + ", codes "
                        + c.at("/evidence/finding codes in output").asText() + ")");
            }
        }
        assertTrue(failed.isEmpty(), String.join("\n\n", failed));
        assertEquals(Set.of("TC_SW_PKG_INTEGRITY_1.step1.unauthorised-user"), notRun);
        assertEquals(18, passed);
        assertEquals(19, report.get("cases").size());
        assertEquals(ExitCode.OK, exit);
        JsonNode flip = find(report, "TAMPER.artifact-byte-flip");
        assertTrue(flip.at("/evidence/finding codes in output").asText().contains("DIGEST_MISMATCH"));
        assertTrue(flip.at("/evidence/new audit-log lines").asText().contains("{"), "audit evidence recorded");
        JsonNode older = find(report, "TAMPER.artifact-older-version");
        assertTrue(older.get("preconditions").toString().contains("replaced Files/mmed.bin by the bytes"),
                older.get("preconditions").toString());
        assertTrue(older.at("/evidence/finding codes in output").asText().contains("DIGEST_MISMATCH"));
        JsonNode valid = find(report, "TC_SW_PKG_INTEGRITY_1.step2.valid-package");
        assertTrue(valid.get("steps").toString().contains("acme-mme 2.0"), "the probe ran the genuine version");
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
        assertEquals(ExitCode.USAGE, Main.execute("scas", "--package", v2.toString(), "--trust", anchor.toString(),
                "--target", "node:" + dir.resolve("n"), "--probe-env", "A=1", "--out", out.toString()));
        assertEquals(ExitCode.USAGE, Main.execute("scas", "--package", v2.toString(), "--trust", anchor.toString(),
                "--target", "node:" + dir.resolve("n"), "--probe", "bin/probe.sh", "--probe-env", "A", "--out",
                out.toString()));
    }
}
