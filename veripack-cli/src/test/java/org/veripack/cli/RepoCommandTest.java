package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.pki.TestPki;
import org.veripack.core.sign.CsarSigner;

/** {@code veripack repo}: init, add (verified first), timestamp, status, through the CLI. */
class RepoCommandTest {
    @TempDir Path tmp;

    static final TestPki.Issued ROOT = TestPki.cert("CN=Repo CLI Root,O=Acme").ca(true).build();
    static final TestPki.Issued SIGNER = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(ROOT).build();
    static final TestPki.Issued ROGUE = TestPki.cert("CN=Acme Code Signing,O=Acme")
            .issuedBy(TestPki.cert("CN=Rogue,O=Evil").ca(true).build()).build();

    private Path csar(String name, String version, TestPki.Issued signer) throws Exception {
        return csar(tmp, name, version, signer);
    }

    /** A CSAR {@code tmp/NAME-VERSION.csar} holding {@code Files/app.conf}, signed by {@code signer}. */
    static Path csar(Path tmp, String name, String version, TestPki.Issued signer) throws Exception {
        Path tree = Files.createTempDirectory(tmp, "tree-");
        Files.createDirectories(tree.resolve("Files"));
        Files.writeString(tree.resolve("Files/app.conf"), name + " " + version + "\n");
        Path out = tmp.resolve(name + "-" + version + ".csar");
        CsarSigner.builder(signer.identity()).name(name).version(version).conformanceChecks(false).build().writeOption1(tree, out);
        return out;
    }

    private static String stdout(Runnable r) {
        PrintStream old = System.out;
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        System.setOut(new PrintStream(b, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setOut(old);
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    @Test
    void initAddTimestampStatus() throws Exception {
        Path repo = tmp.resolve("repo");
        Path keys = tmp.resolve("keys");
        Path anchor = tmp.resolve("root.pem");
        TestPki.writeCertificatesPem(anchor, ROOT.certificate());
        assertEquals(ExitCode.OK, Main.execute("repo", "init", repo.toString(), "--keys", keys.toString(),
                "--role-keys", "root=3", "--threshold", "root=2", "--key-type", "ecdsa-p256"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keys.resolve("root-3.pem"))));
        assertTrue(Files.isRegularFile(repo.resolve("metadata/1.root.json")));

        Path good = csar("acme-mme", "2.1", SIGNER);
        assertEquals(ExitCode.OK, Main.execute("repo", "add", repo.toString(), good.toString(), "--keys", keys.toString(),
                "--trust", anchor.toString()));
        // a package the verifier refuses is never published: exit 1, targets unchanged
        Path rogue = csar("acme-mme", "9.9", ROGUE);
        assertEquals(ExitCode.REJECTED, Main.execute("repo", "add", repo.toString(), rogue.toString(), "--keys", keys.toString(),
                "--trust", anchor.toString()));
        assertEquals(ExitCode.OK, Main.execute("repo", "timestamp", repo.toString(), "--keys", keys.toString(), "--expires", "6h"));

        String json = stdout(() -> assertEquals(ExitCode.OK, Main.execute("repo", "status", repo.toString(), "--json")));
        var doc = NodeOutput.JSON.readTree(json);
        assertEquals(1, doc.get("targets").size(), json);
        assertEquals("acme-mme-2.1.csar", doc.get("targets").get(0).get("name").asText());
        assertEquals("2.1", doc.get("targets").get(0).path("custom").path("veripack").path("version").asText());
        assertEquals(3, doc.get("roles").get(3).get("version").asInt(), json); // timestamp: init, add, renew

        // usage errors: keys inside the served directory, unknown role, not a repository
        assertEquals(ExitCode.USAGE, Main.execute("repo", "init", tmp.resolve("r2").toString(), "--keys", tmp.resolve("r2/keys").toString()));
        assertEquals(ExitCode.USAGE, Main.execute("repo", "init", tmp.resolve("r3").toString(), "--keys", keys.toString(), "--threshold", "boss=2"));
        assertEquals(ExitCode.USAGE, Main.execute("repo", "status", tmp.toString()));
    }
}
