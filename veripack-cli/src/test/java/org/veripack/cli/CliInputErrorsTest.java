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
 * Bad input on the command line is exit 2 with a message that
 * names the option or path, never a Java exception class name or a stack trace; and the hint
 * toward --signature for a detached signature.
 */
class CliInputErrorsTest {
    @TempDir Path dir;
    private Path root;
    private Path key;
    private Path cert;
    private Path pkg;

    @BeforeEach
    void pki() throws Exception {
        Issued r = TestPki.cert("CN=CLI Root,O=Acme").ca(true).build();
        Issued leaf = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(r).build();
        root = dir.resolve("root.pem");
        cert = dir.resolve("signer.pem");
        TestPki.writeCertificatesPem(root, r.certificate());
        TestPki.writeCertificatesPem(cert, leaf.certificate());
        key = dir.resolve("signer.key");
        TestPki.writePrivateKeyPem(key, leaf.keyPair().getPrivate());
        pkg = Files.createDirectories(dir.resolve("pkg/Files/bin")).getParent().getParent();
        Files.writeString(pkg.resolve("Files/bin/mmed"), "#!/bin/sh\necho mme\n");
    }

    private static void assertUsageError(Run r, String mentions) {
        assertEquals(ExitCode.USAGE, r.exit(), r.err());
        assertTrue(r.err().contains(mentions), () -> "expected '" + mentions + "' in: " + r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        assertTrue(r.out().isEmpty(), r.out());
    }

    private Run signCsar(Path out) {
        return SignVerifyCommandTest.run("sign", "--key", key.toString(), "--cert", cert.toString(), "--csar", pkg.toString(),
                "--name", "acme-mme", "--version", "2.1", "--out", out.toString());
    }

    @Test
    void atOutsideTheCertificateTimeRangeIsAUsageError() throws Exception {
        Path csar = dir.resolve("mme.csar");
        assertEquals(ExitCode.OK, signCsar(csar).exit());
        for (String at : List.of("+999999999-12-31T23:59:59Z", "-999999999-01-01T00:00:00Z", "1949-12-31T23:59:59Z",
                "+10000-01-01T00:00:00Z", "2026-13-01T00:00:00Z")) {
            assertUsageError(SignVerifyCommandTest.run("verify", "--trust", root.toString(), "--at", at, "--json", csar.toString()), "--at");
        }
        Run edge = SignVerifyCommandTest.run("verify", "--trust", root.toString(), "--at", "9999-12-31T23:59:59Z", csar.toString());
        assertEquals(ExitCode.REJECTED, edge.exit(), edge.err()); // in range: the signer's certificate has expired by then
        assertTrue(edge.err().contains("CERT_EXPIRED"), edge.err());
    }

    @Test
    void signOutThatIsADirectoryOrHasNoParentIsAUsageError() throws Exception {
        assertUsageError(signCsar(dir), dir.toString());
        Path orphan = dir.resolve("nonexistent/dir/x.csar");
        assertUsageError(signCsar(orphan), dir.resolve("nonexistent/dir").toString());
        Path file = Files.writeString(dir.resolve("image.tar"), "bytes\n");
        assertUsageError(SignVerifyCommandTest.run("sign", "--key", key.toString(), "--cert", cert.toString(),
                "--detached", file.toString(), "--out", dir.toString()), dir.toString());
        assertUsageError(SignVerifyCommandTest.run("sign", "--key", key.toString(), "--cert", cert.toString(),
                "--detached", file.toString(), "--out", orphan.toString()), "does not exist");
        assertFalse(Files.exists(dir.resolve("nonexistent")));
    }

    @Test
    void garbageCertificateFilesAreUsageErrorsWithoutJavaClassNames() throws Exception {
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "garbage\n");
        Path file = Files.writeString(dir.resolve("image.tar"), "bytes\n");
        assertUsageError(SignVerifyCommandTest.run("sign", "--key", key.toString(), "--cert", garbage.toString(),
                "--detached", file.toString()), garbage.toString());
        assertUsageError(SignVerifyCommandTest.run("sign", "--key", key.toString(), "--cert", cert.toString(),
                "--chain", garbage.toString(), "--detached", file.toString()), garbage.toString());
        assertUsageError(SignVerifyCommandTest.run("verify", "--trust", garbage.toString(), file.toString(),
                "--signature", file.toString()), garbage.toString());
    }

    @Test
    void countersignOutThatIsADirectoryIsAUsageError() throws Exception {
        Path csar = dir.resolve("mme.csar");
        assertEquals(ExitCode.OK, signCsar(csar).exit());
        assertUsageError(SignVerifyCommandTest.run("countersign", "--key", key.toString(), "--cert", cert.toString(),
                "--in", csar.toString(), "--out", dir.toString()), dir.toString());
    }

    @Test
    void verifyingANonZipWithoutSignatureHintsAtSignatureOption() throws Exception {
        Path file = Files.writeString(dir.resolve("image.tar"), "not a zip\n");
        Run r = SignVerifyCommandTest.run("verify", "--trust", root.toString(), "--json", file.toString());
        assertEquals(ExitCode.REJECTED, r.exit(), r.err());
        assertTrue(r.codes().contains("MALFORMED_PACKAGE"), r.out());
        assertTrue(r.err().contains("--signature"), r.err());
    }

    @Test
    void executableBitIsSignedAndReportedThroughTheCli() throws Exception {
        Files.setPosixFilePermissions(pkg.resolve("Files/bin/mmed"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path csar = dir.resolve("mme.csar");
        assertEquals(ExitCode.OK, signCsar(csar).exit());
        Run r = SignVerifyCommandTest.run("verify", "--trust", root.toString(), "--json", csar.toString());
        assertEquals(ExitCode.OK, r.exit(), r.err());
        boolean found = false;
        for (var a : r.json().get("artifacts")) {
            if (a.get("path").asText().equals("Files/bin/mmed")) {
                found = true;
                assertEquals("0755", a.get("mode").asText());
            }
        }
        assertTrue(found, r.out());
    }
}
