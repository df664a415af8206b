package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
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

    /** {@code repo init} of {@code tmp/repo} with default roles, its keys in {@code tmp/keys}. */
    private Path initRepository() throws Exception {
        Path repo = tmp.resolve("repo");
        assertEquals(ExitCode.OK, Main.execute("repo", "init", repo.toString(), "--keys", tmp.resolve("keys").toString()));
        return repo;
    }

    /** The vendor root written as {@code root.pem}, the publisher's {@code --trust}. */
    private Path anchor() throws Exception {
        Path anchor = tmp.resolve("root.pem");
        TestPki.writeCertificatesPem(anchor, ROOT.certificate());
        return anchor;
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
        Path anchor = anchor();
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
        byte[] timestamp2 = Files.readAllBytes(repo.resolve("metadata/timestamp.json"));
        assertEquals(ExitCode.OK, Main.execute("repo", "timestamp", repo.toString(), "--keys", keys.toString(), "--expires", "6h"));

        String json = stdout(() -> assertEquals(ExitCode.OK, Main.execute("repo", "status", repo.toString(), "--json")));
        var doc = NodeOutput.JSON.readTree(json);
        assertEquals(1, doc.get("targets").size(), json);
        assertEquals("acme-mme-2.1.csar", doc.get("targets").get(0).get("name").asText());
        assertEquals("2.1", doc.get("targets").get(0).path("custom").path("veripack").path("version").asText());
        assertEquals(3, doc.get("roles").get(3).get("version").asInt(), json); // timestamp: init, add, renew
        // the served timestamp.json replaced by the older version 2: the next renewal is 4, not 3 again
        Files.write(repo.resolve("metadata/timestamp.json"), timestamp2);
        assertEquals(ExitCode.OK, Main.execute("repo", "timestamp", repo.toString(), "--keys", keys.toString()));
        String renewed = stdout(() -> assertEquals(ExitCode.OK, Main.execute("repo", "status", repo.toString(), "--json")));
        assertEquals(4, NodeOutput.JSON.readTree(renewed).get("roles").get(3).get("version").asInt(), renewed);

        // usage errors: keys inside the served directory, unknown role, not a repository
        assertEquals(ExitCode.USAGE, Main.execute("repo", "init", tmp.resolve("r2").toString(), "--keys", tmp.resolve("r2/keys").toString()));
        assertEquals(ExitCode.USAGE, Main.execute("repo", "init", tmp.resolve("r3").toString(), "--keys", keys.toString(), "--threshold", "boss=2"));
        assertEquals(ExitCode.USAGE, Main.execute("repo", "status", tmp.toString()));
    }

    /**
     * A different build under a published name and version (the vendor's rebuild, or a publisher's mistake) would reach
     * nodes that already run that version as "the same" package: {@code repo add} refuses it, exit 1, naming the
     * published hash, and writes nothing; {@code --replace} publishes it instead of the old listing.
     */
    @Test
    void aDifferentBuildUnderAPublishedNameAndVersionIsRefusedUnlessReplace() throws Exception {
        Path repo = initRepository();
        Path keys = tmp.resolve("keys");
        Path anchor = anchor();
        Path first = csar("acme-mme", "2.1", SIGNER);
        assertEquals(ExitCode.OK, Main.execute("repo", "add", repo.toString(), first.toString(), "--keys", keys.toString(), "--trust", anchor.toString()));
        String published = org.veripack.core.FileDigest.hex(first, "SHA-256");
        // the same bytes again: nothing to refuse
        assertEquals(ExitCode.OK, Main.execute("repo", "add", repo.toString(), first.toString(), "--keys", keys.toString(), "--trust", anchor.toString()));

        Path tree = Files.createTempDirectory(tmp, "rebuild-");
        Files.createDirectories(tree.resolve("Files"));
        Files.writeString(tree.resolve("Files/app.conf"), "acme-mme 2.1 rebuilt with other content\n");
        Path rebuilt = Files.createDirectories(tmp.resolve("rebuilt")).resolve("acme-mme-2.1.csar");
        CsarSigner.builder(SIGNER.identity()).name("acme-mme").version("2.1").conformanceChecks(false).build().writeOption1(tree, rebuilt);
        Path renamed = tmp.resolve("rebuilt/acme-mme-2.1-fixed.csar");
        Files.copy(rebuilt, renamed);
        byte[] timestamp = Files.readAllBytes(repo.resolve("metadata/timestamp.json"));
        List<String> targetFiles;
        try (var l = Files.list(repo.resolve("targets"))) {
            targetFiles = l.map(p -> p.getFileName().toString()).sorted().toList();
        }
        // the same version spelled otherwise (equal in Debian ordering, as update compares them) is the same version
        Path revision0 = tmp.resolve("rebuilt/acme-mme-2.1-0.csar");
        CsarSigner.builder(SIGNER.identity()).name("acme-mme").version("2.1-0").conformanceChecks(false).build().writeOption1(tree, revision0);
        Path epoch0 = tmp.resolve("rebuilt/acme-mme-epoch.csar");
        CsarSigner.builder(SIGNER.identity()).name("acme-mme").version("0:2.1").conformanceChecks(false).build().writeOption1(tree, epoch0);
        for (Path other : List.of(rebuilt, renamed, revision0, epoch0)) { // the same target name, or the same name and version under another
            SignVerifyCommandTest.Run r = SignVerifyCommandTest.run("repo", "add", repo.toString(), other.toString(), "--keys", keys.toString(),
                    "--trust", anchor.toString());
            assertEquals(ExitCode.REJECTED, r.exit(), r.err());
            assertTrue(r.err().contains(published), r.err());
            assertTrue(java.util.Arrays.equals(timestamp, Files.readAllBytes(repo.resolve("metadata/timestamp.json"))), "nothing published");
            try (var l = Files.list(repo.resolve("targets"))) {
                assertEquals(targetFiles, l.map(p -> p.getFileName().toString()).sorted().toList(), "no target file written");
            }
        }

        assertEquals(ExitCode.OK, Main.execute("repo", "add", repo.toString(), renamed.toString(), "--keys", keys.toString(),
                "--trust", anchor.toString(), "--replace"));
        var doc = NodeOutput.JSON.readTree(stdout(() -> assertEquals(ExitCode.OK, Main.execute("repo", "status", repo.toString(), "--json"))));
        assertEquals(1, doc.get("targets").size(), doc.toString());
        assertEquals("acme-mme-2.1-fixed.csar", doc.get("targets").get(0).get("name").asText());
    }

    /**
     * Private keys in the served directory are published to everyone: every command that takes {@code --keys} refuses
     * them (exit 2, nothing written), also when they are reached through a symbolic link from outside; a key file that
     * group or others may read is warned about.
     */
    @Test
    void keysInsideTheServedDirectoryAreRefusedByEveryCommandThatTakesKeys() throws Exception {
        Path repo = initRepository();
        Path keys = tmp.resolve("keys");
        String trust = anchor().toString();
        Path pkg = csar("acme-mme", "2.1", SIGNER);
        Path served = repo.resolve("private-keys");
        copyTree(keys, served); // the keys moved into the served directory
        Path viaLink = Files.createSymbolicLink(tmp.resolve("keys-link"), served); // and named through a link outside it
        byte[] timestamp = Files.readAllBytes(repo.resolve("metadata/timestamp.json"));
        for (Path k : List.of(served, viaLink)) {
            for (String[] args : List.of(
                    new String[] {"repo", "add", repo.toString(), pkg.toString(), "--keys", k.toString(), "--trust", trust},
                    new String[] {"repo", "timestamp", repo.toString(), "--keys", k.toString()},
                    new String[] {"repo", "rotate-root", repo.toString(), "--keys", k.toString(), "--threshold", "root=1"},
                    new String[] {"repo", "sign", repo.toString(), "--role", "targets", "--key", keys.resolve("targets-1.pem").toString(),
                            "--keys", k.toString()},
                    new String[] {"repo", "sign", repo.toString(), "--role", "targets", "--key", k.resolve("targets-1.pem").toString(),
                            "--keys", keys.toString()})) {
                SignVerifyCommandTest.Run r = SignVerifyCommandTest.run(args);
                assertEquals(ExitCode.USAGE, r.exit(), String.join(" ", args) + ": " + r.err());
                assertTrue(r.err().contains("is inside the repository"), r.err());
                assertTrue(java.util.Arrays.equals(timestamp, Files.readAllBytes(repo.resolve("metadata/timestamp.json"))));
            }
        }

        Files.setPosixFilePermissions(keys.resolve("timestamp-1.pem"), PosixFilePermissions.fromString("rw-r--r--"));
        SignVerifyCommandTest.Run r = SignVerifyCommandTest.run("repo", "timestamp", repo.toString(), "--keys", keys.toString());
        assertEquals(ExitCode.OK, r.exit(), r.err());
        assertEquals(1, r.err().lines().filter(l -> l.contains("warning:") && l.contains("timestamp-1.pem")).count(), r.err());
    }

    private static void copyTree(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (var l = Files.list(from)) {
            for (Path f : (Iterable<Path>) l::iterator) {
                Files.copy(f, to.resolve(f.getFileName()), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
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

    /** {@code veripack ARGS} in a child JVM (SoftHSM2 reads SOFTHSM2_CONF from the environment): exit code and output. */
    private static SignVerifyCommandTest.Run child(Path softhsmConf, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.veripack.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("SOFTHSM2_CONF", softhsmConf.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
        return new SignVerifyCommandTest.Run(p.exitValue(), out, out);
    }

    @Test
    void repositoryKeysOnASoftHsmTokenSignTargetsAndTimestamp() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/softhsm2-util"))
                && Files.exists(Path.of(TrustCliTest.SOFTHSM_LIB)) && Files.isExecutable(Path.of("/usr/bin/pkcs11-tool")),
                "softhsm2 and pkcs11-tool (opensc) are not installed (.ci/run installs them)");
        // an ECDSA P-256 key and its certificate on the token (SunPKCS11 lists a key only with its certificate)
        TestPki.Issued hsmKey = TestPki.cert("CN=Repository security team").build();
        Path keyPem = TrustCliTest.key(tmp, "hsm", hsmKey);
        Files.write(tmp.resolve("hsm.der"), hsmKey.certificate().getEncoded());
        Files.createDirectories(tmp.resolve("tokens"));
        Path conf = Files.writeString(tmp.resolve("softhsm2.conf"),
                "directories.tokendir = " + tmp.resolve("tokens") + "\nobjectstore.backend = file\nlog.level = ERROR\n");
        String init = TrustCliTest.tool(conf, "softhsm2-util", "--init-token", "--free", "--label", "repo", "--pin", "1234", "--so-pin", "5678");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("reassigned to slot (\\d+)").matcher(init);
        assertTrue(m.find(), init);
        TrustCliTest.tool(conf, "softhsm2-util", "--import", keyPem.toString(), "--token", "repo", "--label", "sec", "--id", "02", "--pin", "1234");
        TrustCliTest.tool(conf, "pkcs11-tool", "--module", TrustCliTest.SOFTHSM_LIB, "--token-label", "repo", "--login", "--pin", "1234",
                "--write-object", tmp.resolve("hsm.der").toString(), "--type", "cert", "--id", "02", "--label", "sec");
        Files.delete(keyPem); // from now on the key exists only on the token
        Path p11 = Files.writeString(tmp.resolve("pkcs11.cfg"), "name = SoftHSM\nlibrary = " + TrustCliTest.SOFTHSM_LIB
                + "\nslot = " + m.group(1) + "\n");
        String[] token = {"--pkcs11", p11.toString(), "--key-label", "sec", "--key-pass", "pass:1234"};
        Path repo = tmp.resolve("repo");
        Path keys = tmp.resolve("keys");
        Path anchor = tmp.resolve("root.pem");
        TestPki.writeCertificatesPem(anchor, ROOT.certificate());

        // targets 2 of 2: the token's key and keys/targets-2.pem; the token's key is also the timestamp key
        List<String> initArgs = new java.util.ArrayList<>(List.of("repo", "init", repo.toString(), "--keys", keys.toString(),
                "--role-keys", "targets=2", "--threshold", "targets=2", "--pkcs11-role", "targets", "--pkcs11-role", "timestamp"));
        initArgs.addAll(List.of(token));
        SignVerifyCommandTest.Run r = child(conf, initArgs.toArray(String[]::new));
        assertEquals(ExitCode.OK, r.exit(), r.out());
        assertTrue(Files.isRegularFile(keys.resolve("targets-2.pem")) && Files.notExists(keys.resolve("targets-1.pem"))
                && Files.notExists(keys.resolve("timestamp-1.pem")), r.out());
        var root = org.veripack.repo.tuf.Metadata.parse("root", Files.readAllBytes(repo.resolve("metadata/1.root.json")), "root");
        String hsmId = org.veripack.repo.tuf.TufKey.of(hsmKey.certificate().getPublicKey()).keyId();
        assertEquals(hsmId, root.role("root", "timestamp").keyIds().get(0));
        assertEquals("ecdsa", root.keys("root").get(hsmId).json().get("keytype").asText());

        // without the token: add stages the targets, and the timestamp cannot be renewed (exit 2)
        assertEquals(ExitCode.OK, Main.execute("repo", "add", repo.toString(), csar("acme-mme", "2.1", SIGNER).toString(),
                "--keys", keys.toString(), "--trust", anchor.toString()));
        assertTrue(Files.isRegularFile(repo.resolve("staged/2.targets.json")));
        assertEquals(ExitCode.USAGE, Main.execute("repo", "timestamp", repo.toString(), "--keys", keys.toString()));
        // the security team signs with the token: published; a wrong PIN is exit 2 and changes nothing
        List<String> sign = new java.util.ArrayList<>(List.of("repo", "sign", repo.toString(), "--role", "targets", "--keys", keys.toString()));
        sign.addAll(List.of(token));
        sign.set(sign.indexOf("pass:1234"), "pass:0000");
        assertEquals(ExitCode.USAGE, child(conf, sign.toArray(String[]::new)).exit());
        assertTrue(Files.notExists(repo.resolve("metadata/2.targets.json")));
        sign.set(sign.indexOf("pass:0000"), "pass:1234");
        r = child(conf, sign.toArray(String[]::new));
        assertEquals(ExitCode.OK, r.exit(), r.out());
        List<String> ts = new java.util.ArrayList<>(List.of("repo", "timestamp", repo.toString(), "--keys", keys.toString()));
        ts.addAll(List.of(token));
        r = child(conf, ts.toArray(String[]::new));
        assertEquals(ExitCode.OK, r.exit(), r.out());

        // the client core: root -> timestamp (the token's signature) -> snapshot -> targets (token + targets-2)
        Path md = repo.resolve("metadata");
        var t = org.veripack.repo.tuf.TrustedMetadata.fromRoot(Files.readAllBytes(md.resolve("1.root.json")))
                .withTimestamp(Files.readAllBytes(md.resolve("timestamp.json")), java.time.Instant.now())
                .withSnapshot(Files.readAllBytes(md.resolve("2.snapshot.json")), java.time.Instant.now())
                .withTargets(Files.readAllBytes(md.resolve("2.targets.json")), java.time.Instant.now());
        assertEquals(3, t.timestamp().metadata().version());
        assertTrue(t.targets().metadata().targets("targets.json").containsKey("acme-mme-2.1.csar"));
        assertTrue(t.targets().metadata().signatures().stream().anyMatch(x -> x.keyId().equals(hsmId)));
    }
}
