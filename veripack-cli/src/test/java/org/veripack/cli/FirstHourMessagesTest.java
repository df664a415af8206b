package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.cli.SignVerifyCommandTest.Run;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;

/**
 * What a newcomer types in the first hour gets the exit code and the kind of message a user of the field
 * expects: a mistyped command is a usage error (exit 2) naming the closest command, never the top-level help
 * with exit 0.
 */
class FirstHourMessagesTest {
    @TempDir Path dir;
    private Path anchor;
    private Path signerKey;
    private Path signerCert;
    private Path node;

    @BeforeEach
    void pki() throws Exception {
        Issued root = TestPki.cert("CN=First Hour Root,O=Acme").ca(true).build();
        Issued leaf = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(root).build();
        anchor = dir.resolve("root.pem");
        TestPki.writeCertificatesPem(anchor, root.certificate());
        signerKey = dir.resolve("signer.key");
        TestPki.writePrivateKeyPem(signerKey, leaf.keyPair().getPrivate());
        signerCert = dir.resolve("signer.pem");
        TestPki.writeCertificatesPem(signerCert, leaf.certificate());
        node = dir.resolve("node");
    }

    private static Run cli(String... args) {
        return SignVerifyCommandTest.run(args);
    }

    private Run trustedNode() {
        Run t = cli("trust", "set", "--root", node.toString(), "--trust", anchor.toString());
        assertEquals(ExitCode.OK, t.exit(), t.err());
        return t;
    }

    /** The error lines (stderr) that start with {@code prefix}. */
    private static List<String> lines(Run r, String prefix) {
        return r.err().lines().filter(l -> l.startsWith(prefix)).toList();
    }

    @Test
    void aNonZipPointsToTheOptionThatVerifiesItAndInstallNeverSuggestsAVerifyOption() throws Exception {
        Path tar = Files.writeString(dir.resolve("image.tar"), "not a zip\n");
        Path deb = Files.writeString(dir.resolve("mme_2.1_amd64.deb"), "!<arch>\ndebian-binary   0           0     0     100644  4         `\n2.0\n");
        trustedNode();
        Run v = cli("verify", "--trust", anchor.toString(), "--json", tar.toString());
        assertEquals(ExitCode.REJECTED, v.exit(), v.err());
        assertEquals(List.of("MALFORMED_PACKAGE"), v.codes());
        // the finding names the file and the problem, not the class that read it
        Run text = cli("verify", "--trust", anchor.toString(), tar.toString());
        assertTrue(lines(text, "  MALFORMED_PACKAGE").size() == 1 && !text.err().contains("Channel"), text.err());
        assertTrue(lines(v, "hint:").stream().anyMatch(l -> l.contains("--signature")), v.err());
        Run vd = cli("verify", "--trust", anchor.toString(), deb.toString());
        assertEquals(ExitCode.REJECTED, vd.exit(), vd.err());
        assertTrue(lines(vd, "hint:").stream().anyMatch(l -> l.contains("--apt-release") && !l.contains("--signature")), vd.err());
        for (Path input : List.of(tar, deb)) {
            Run i = cli("install", "--root", node.toString(), input.toString());
            assertEquals(ExitCode.REJECTED, i.exit(), i.err());
            assertFalse(i.err().contains("--signature"), i.err());
            assertEquals(1, lines(i, "hint:").size(), i.err());
            assertEquals(input == deb, i.err().contains("--apt-release"), i.err());
        }
    }

    @Test
    void thousandsOfFindingsOfOneCodeAreCountedNotPrintedWhileJsonAndInstallKeepTheVerdict() throws Exception {
        Path pkg = Files.createDirectories(dir.resolve("pkg/Files")).getParent();
        Files.writeString(pkg.resolve("Files/app.conf"), "x: 1\n");
        Path signed = dir.resolve("acme-1.0.csar");
        Run s = cli("sign", "--key", signerKey.toString(), "--cert", signerCert.toString(), "--csar", pkg.toString(),
                "--name", "acme", "--version", "1.0", "--out", signed.toString());
        assertEquals(ExitCode.OK, s.exit(), s.err());
        // the attack: the genuine signed package plus 25 files the manifest does not list, entries copied raw
        Path padded = dir.resolve("padded.csar");
        try (org.apache.commons.compress.archivers.zip.ZipFile in = org.apache.commons.compress.archivers.zip.ZipFile.builder()
                     .setPath(signed).get();
             org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream out =
                     new org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream(padded.toFile())) {
            for (var e : java.util.Collections.list(in.getEntriesInPhysicalOrder())) {
                out.addRawArchiveEntry(e, in.getRawInputStream(e));
            }
            for (int i = 0; i < 25; i++) {
                out.putArchiveEntry(new org.apache.commons.compress.archivers.zip.ZipArchiveEntry("Files/extra-" + i));
                out.write(new byte[] {1});
                out.closeArchiveEntry();
            }
        }
        Run text = cli("verify", "--trust", anchor.toString(), padded.toString());
        assertEquals(ExitCode.REJECTED, text.exit(), text.err());
        assertEquals(10, lines(text, "  ARTIFACT_UNLISTED ").size(), text.err());
        assertEquals(1, lines(text, "  ... and 15 more ARTIFACT_UNLISTED").size(), text.err());
        Run json = cli("verify", "--trust", anchor.toString(), "--json", padded.toString());
        assertEquals(25, json.codes().stream().filter("ARTIFACT_UNLISTED"::equals).count(), json.out());
        trustedNode();
        Run install = cli("install", "--root", node.toString(), padded.toString());
        assertEquals(ExitCode.REJECTED, install.exit(), install.err());
        assertEquals(10, lines(install, "  ARTIFACT_UNLISTED ").size(), install.err());
        assertEquals(1, lines(install, "  ... and 15 more ARTIFACT_UNLISTED").size(), install.err());
    }

    @Test
    void aDirectoryGivenAsPackageIsTheSameUsageErrorInEveryCommand() {
        trustedNode();
        Path pkgDir = dir.resolve("node");
        List<Run> runs = List.of(
                cli("verify", "--trust", anchor.toString(), pkgDir.toString()),
                cli("install", "--root", node.toString(), pkgDir.toString()),
                cli("verify", "--keyring", anchor.toString(), "--apt-release", anchor.toString(), "--apt-packages",
                        anchor.toString(), pkgDir.toString()));
        for (Run r : runs) {
            assertEquals(ExitCode.USAGE, r.exit(), r.err());
            assertTrue(r.err().contains("PACKAGE: " + pkgDir + " is a directory"), r.err());
        }
    }

    @Test
    void anEmptyPackageArgumentIsNamedAsSuch() {
        trustedNode();
        for (Run r : List.of(cli("verify", "--trust", anchor.toString(), ""), cli("install", "--root", node.toString(), ""))) {
            assertEquals(ExitCode.USAGE, r.exit(), r.err());
            assertTrue(r.err().contains("PACKAGE is an empty file name"), r.err());
        }
    }

    @Test
    void aKeyOrAPolicyGivenAsTrustAnchorSaysWhatTheFileIs() throws Exception {
        Path policy = Files.writeString(dir.resolve("policy.yaml"), "trustAnchors: [root.pem]\n");
        Path file = Files.writeString(dir.resolve("image.tar"), "bytes\n");
        Run key = cli("verify", "--trust", signerKey.toString(), file.toString());
        assertEquals(ExitCode.USAGE, key.exit(), key.err());
        assertTrue(key.err().contains("private key"), key.err());
        Run pol = cli("verify", "--trust", policy.toString(), file.toString());
        assertEquals(ExitCode.USAGE, pol.exit(), pol.err());
        assertTrue(pol.err().contains("--policy " + policy), pol.err());
        Run set = cli("trust", "set", "--root", node.toString(), "--trust", policy.toString());
        assertEquals(ExitCode.USAGE, set.exit(), set.err());
        assertTrue(set.err().contains("--policy " + policy), set.err());
    }

    @Test
    void aYamlSyntaxErrorIsOneLineNamingFileLineAndColumn() throws Exception {
        Path policy = Files.writeString(dir.resolve("policy.yaml"), "trustAnchors: [root.pem\nfoo: : bar\n");
        Run r = cli("verify", "--policy", policy.toString(), policy.toString());
        assertEquals(ExitCode.USAGE, r.exit(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains(policy + ":2:4:"), r.err());
        Run set = cli("trust", "set", "--root", node.toString(), "--policy", policy.toString());
        assertEquals(ExitCode.USAGE, set.exit(), set.err());
        assertEquals(1, set.err().lines().count(), set.err());
        assertTrue(set.err().contains(policy + ":2:4:"), set.err());
    }
    @Test
    void unknownCommandIsAUsageErrorSuggestingTheClosestCommand() {
        for (List<String> args : List.of(List.of("verfy", "x.csar"), List.of("verifyy", "--help"), List.of("verifyy", "-h"))) {
            Run r = SignVerifyCommandTest.run(args.toArray(String[]::new));
            assertEquals(ExitCode.USAGE, r.exit(), args + ": " + r.err());
            assertEquals("", r.out(), "no help text on stdout for " + args);
            assertTrue(r.err().lines().anyMatch(l -> l.contains("'" + args.get(0) + "'")), r.err());
            assertTrue(r.err().contains("veripack verify?") || r.err().contains("veripack verify "), r.err());
            assertFalse(r.err().contains("Usage:"), r.err());
        }
        Run nested = SignVerifyCommandTest.run("audit", "verfy", "--root", "x");
        assertEquals(ExitCode.USAGE, nested.exit(), nested.err());
        assertTrue(nested.err().contains("veripack audit verify"), nested.err());
        Run option = SignVerifyCommandTest.run("verify", "--jsn", "x.csar");
        assertEquals(ExitCode.USAGE, option.exit(), option.err());
        assertTrue(option.err().contains("--json"), option.err());
    }

    @Test
    void verifyInstalledOnAnEmptyNodeHasItsOwnExitCodeNotTampered() {
        trustedNode();
        Run r = cli("verify-installed", "--root", node.toString(), "--json");
        assertEquals(ExitCode.NO_VERSION, r.exit(), r.err());
        assertTrue(r.err().lines().noneMatch(l -> l.startsWith("TAMPERED")), r.err());
    }

    @Test
    void runOnAnEmptyNodeLeavesNoGuardVerdictInStatus() throws Exception {
        trustedNode();
        Run r = cli("run", "--root", node.toString(), "--", "bin/prog");
        assertEquals(ExitCode.TAMPERED, r.exit(), r.err());
        Run s = cli("status", "--root", node.toString(), "--json");
        assertEquals(ExitCode.OK, s.exit(), s.err());
        assertTrue(s.json().path("lastVerification").isNull(), s.out());
        assertTrue(s.json().path("active").isNull(), s.out());
        assertTrue(Files.readString(node.resolve("audit/events.jsonl")).contains("\"event\":\"guard.refused\""));
    }
}
