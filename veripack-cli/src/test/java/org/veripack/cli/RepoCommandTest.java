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

    @Test
    void targetsTwoOfTwoAreStagedByAddAndPublishedWhenTheOfflineHolderSigns() throws Exception {
        Path repo = tmp.resolve("repo");
        Path keys = tmp.resolve("keys");
        Path anchor = tmp.resolve("root.pem");
        TestPki.writeCertificatesPem(anchor, ROOT.certificate());
        assertEquals(ExitCode.OK, Main.execute("repo", "init", repo.toString(), "--keys", keys.toString(),
                "--role-keys", "targets=2", "--threshold", "targets=2", "--role-keys", "root=3", "--threshold", "root=2"));
        Path holder = Files.createDirectories(tmp.resolve("security-team"));
        Files.move(keys.resolve("targets-2.pem"), holder.resolve("targets-2.pem"));
        assertEquals(ExitCode.OK, Main.execute("repo", "add", repo.toString(), csar("acme-mme", "2.1", SIGNER).toString(),
                "--keys", keys.toString(), "--trust", anchor.toString()));
        var staged = NodeOutput.JSON.readTree(stdout(() -> Main.execute("repo", "status", repo.toString(), "--json")));
        assertEquals(0, staged.get("targets").size(), "staged, not published");
        assertEquals("staged/2.targets.json", staged.get("staged").get(0).get("file").asText());
        // a key that is not a targets key: exit 2, still staged
        assertEquals(ExitCode.USAGE, Main.execute("repo", "sign", repo.toString(), "--role", "targets",
                "--key", keys.resolve("snapshot-1.pem").toString(), "--keys", keys.toString()));
        assertEquals(ExitCode.USAGE, Main.execute("repo", "sign", repo.toString(), "--role", "root",
                "--key", keys.resolve("root-1.pem").toString(), "--keys", keys.toString())); // nothing staged for root
        assertEquals(ExitCode.OK, Main.execute("repo", "sign", repo.toString(), "--role", "targets",
                "--key", holder.resolve("targets-2.pem").toString(), "--keys", keys.toString()));
        var published = NodeOutput.JSON.readTree(stdout(() -> Main.execute("repo", "status", repo.toString(), "--json")));
        assertEquals("acme-mme-2.1.csar", published.get("targets").get(0).get("name").asText(), published.toString());
        assertEquals(0, published.get("staged").size());

        // root 2 of 3: a rotation signed by root-1 alone is staged; a second holder completes it
        Files.move(keys.resolve("root-2.pem"), holder.resolve("root-2.pem"));
        Files.move(keys.resolve("root-3.pem"), holder.resolve("root-3.pem"));
        assertEquals(ExitCode.OK, Main.execute("repo", "rotate-root", repo.toString(), "--keys", keys.toString(),
                "--remove-key", "root=" + holder.resolve("root-3.pem"), "--threshold", "root=1"));
        assertTrue(Files.isRegularFile(repo.resolve("staged/2.root.json")));
        assertTrue(Files.notExists(repo.resolve("metadata/2.root.json")));
        assertEquals(ExitCode.OK, Main.execute("repo", "sign", repo.toString(), "--role", "root",
                "--key", holder.resolve("root-2.pem").toString(), "--keys", keys.toString()));
        assertTrue(Files.isRegularFile(repo.resolve("metadata/2.root.json")));
        var rotated = NodeOutput.JSON.readTree(stdout(() -> Main.execute("repo", "status", repo.toString(), "--json")));
        assertEquals(2, rotated.get("roles").get(0).get("version").asInt(), rotated.toString());
        // usage: a threshold above the key count, a role that does not exist
        assertEquals(ExitCode.USAGE, Main.execute("repo", "rotate-root", repo.toString(), "--keys", keys.toString(), "--threshold", "root=5"));
        assertEquals(ExitCode.USAGE, Main.execute("repo", "rotate-root", repo.toString(), "--keys", keys.toString(),
                "--add-key", "boss=" + keys.resolve("root-1.pem")));
        assertTrue(Files.notExists(repo.resolve("metadata/3.root.json")));
    }
}
