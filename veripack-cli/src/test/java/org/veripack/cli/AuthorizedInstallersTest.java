package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CsarSigner;

/**
 * Only authorised installers install or roll back, and only trust administrators change the node's trust
 * (TS 33.117 §4.2.3.3.5): real unprivileged users created with {@code useradd} run the CLI through
 * {@code runuser -u USER -- java -cp ... org.veripack.cli.Main}. root (this test) is the trust administrator and
 * sets each node's trust store first; {@code NODE/config.yaml} (root-owned, 0644) authorises the
 * installers' group. Two layouts: the node root and its work directories belong to the installer account
 * ({@link #node}), or the node root belongs to root with mode 1770 and the installers' group so that the
 * installer owns only its work directories and cannot move root's {@code config/} ({@link #separatedNode}).
 * Needs root, {@code useradd} and {@code runuser}; skipped with the reason otherwise. The users and group are
 * removed afterwards.
 */
class AuthorizedInstallersTest {
    /** Unique per test JVM: builds of other checkouts on the same machine create and delete their own users. */
    static final String SUFFIX = Long.toString(ProcessHandle.current().pid(), 36);
    static final String INSTALLER = "vp-inst-" + SUFFIX;
    static final String OUTSIDER = "vp-out-" + SUFFIX;
    static final String GROUP = "vp-insts-" + SUFFIX;

    static Path base;
    static String classpath;
    static Path anchor;
    static Path v1;
    static Path v2;
    static Path rogueAnchor;
    static Path rogue99;
    static Issued authzRoot;

    @BeforeAll
    static void users() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "creating users needs root; this run is not root");
        assumeTrue(onPath("useradd") && onPath("runuser"), "useradd/runuser not installed");
        sh("groupdel", GROUP);
        sh("userdel", INSTALLER);
        sh("userdel", OUTSIDER);
        assertEquals(0, sh("groupadd", GROUP));
        assertEquals(0, sh("useradd", "-M", "-s", "/bin/sh", "-G", GROUP, INSTALLER));
        assertEquals(0, sh("useradd", "-M", "-s", "/bin/sh", OUTSIDER));
        base = Files.createTempDirectory("vp-authz-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        classpath = shareClasspath(base.resolve("cp"));
        Issued root = TestPki.cert("CN=Authz Root").ca(true).build();
        authzRoot = root;
        Issued leaf = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(root).build();
        anchor = base.resolve("root.pem");
        TestPki.writeCertificatesPem(anchor, root.certificate());
        Path pkg = Files.createDirectories(base.resolve("pkg/Files"));
        for (String v : List.of("1.0", "2.0")) {
            Files.writeString(pkg.resolve("VERSION"), v);
            CsarSigner.builder(leaf.identity()).name("acme-mme").version(v).build()
                    .writeOption1(base.resolve("pkg"), base.resolve("acme-" + v + ".csar"));
        }
        v1 = base.resolve("acme-1.0.csar");
        v2 = base.resolve("acme-2.0.csar");
        // another vendor's PKI, same product name: what an installer choosing the trust could install
        Issued rogueRoot = TestPki.cert("CN=Rogue Root").ca(true).build();
        rogueAnchor = base.resolve("rogue-root.pem");
        TestPki.writeCertificatesPem(rogueAnchor, rogueRoot.certificate());
        Files.writeString(pkg.resolve("VERSION"), "9.9");
        rogue99 = base.resolve("rogue-9.9.csar");
        CsarSigner.builder(TestPki.cert("CN=Rogue Signing").issuedBy(rogueRoot).build().identity()).name("acme-mme").version("9.9")
                .build().writeOption1(base.resolve("pkg"), rogue99);
        try (Stream<Path> s = Files.walk(base)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
    }

    @AfterAll
    static void removeUsers() throws Exception {
        if (base != null) {
            sh("userdel", INSTALLER);
            sh("userdel", OUTSIDER);
            sh("groupdel", GROUP);
            sh("rm", "-rf", base.toString());
        }
    }

    /**
     * A node root whose trust store root (the trust administrator) set to the vendor anchor, with a root-owned
     * {@code config.yaml}, then handed to the installer account: the root directory and its work directories.
     */
    static Path node(String name, String config) throws Exception {
        Path node = trustedNode(name, config);
        assertEquals(0, sh("chown", INSTALLER + ":" + INSTALLER, node.toString()));
        return node;
    }

    /**
     * The layout that separates the roles: the node root stays root's, mode 1770 with the installers' group
     * (its members create {@code current}, {@code previous} and {@code lock}; the sticky bit keeps them from
     * renaming or deleting root's {@code config/} and {@code config.yaml}); only the work directories are the
     * installer's.
     */
    static Path separatedNode(String name, String config) throws Exception {
        Path node = trustedNode(name, config);
        assertEquals(0, sh("chgrp", GROUP, node.toString()));
        assertEquals(0, sh("chmod", "1770", node.toString()));
        return node;
    }

    private static Path trustedNode(String name, String config) throws Exception {
        Path node = base.resolve(name);
        SignVerifyCommandTest.Run set = SignVerifyCommandTest.run("trust", "set", "--root", node.toString(), "--trust", anchor.toString());
        assertEquals(ExitCode.OK, set.exit(), set.err());
        Files.writeString(node.resolve("config.yaml"), config);
        Files.setPosixFilePermissions(node.resolve("config.yaml"), PosixFilePermissions.fromString("rw-r--r--"));
        for (String d : List.of("state", "slots", "staging", "audit")) {
            assertEquals(0, sh("chown", "-R", INSTALLER + ":" + INSTALLER, node.resolve(d).toString()));
        }
        return node;
    }

    /** The trust store's bytes: policy.yaml and every file under config/trust/, by name. */
    static java.util.Map<String, String> store(Path node) throws IOException {
        java.util.Map<String, String> m = new java.util.TreeMap<>();
        try (Stream<Path> s = Files.walk(node.resolve("config"))) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(p)) {
                    m.put(node.relativize(p).toString(), java.util.HexFormat.of().formatHex(Files.readAllBytes(p)));
                }
            }
        }
        return m;
    }

    @Test
    void memberOfAnAuthorisedGroupInstallsAndRollsBack() throws Exception {
        Path node = node("node-ok", "authorizedInstallers:\n  groups: [" + GROUP + "]\n");
        assertEquals(ExitCode.OK, cli(INSTALLER, "install", "--root", node.toString(), v1.toString()));
        assertEquals(ExitCode.OK, cli(INSTALLER, "install", "--root", node.toString(), v2.toString()));
        assertEquals(ExitCode.OK, cli(INSTALLER, "rollback", "--root", node.toString()));
        assertEquals(INSTALLER, Files.getOwner(node.resolve("audit/events.jsonl")).getName());
    }

    @Test
    void userNotListedIsRefusedWithExit4AndAnAuditEvent() throws Exception {
        Path node = node("node-refused", "authorizedInstallers:\n  users: [someone-else]\n");
        assertEquals(ExitCode.NOT_AUTHORISED,
                cli(INSTALLER, "install", "--root", node.toString(), v1.toString()));
        assertFalse(Files.exists(node.resolve("current")));
        String audit = Files.readString(node.resolve("audit/events.jsonl"), StandardCharsets.UTF_8);
        assertTrue(audit.contains("\"install.unauthorized\""), audit);
        assertEquals(ExitCode.NOT_AUTHORISED, cli(INSTALLER, "rollback", "--root", node.toString()));
        assertTrue(Files.readString(node.resolve("audit/events.jsonl")).contains("\"rollback.unauthorized\""));
    }

    @Test
    void outsiderWithoutAnyRightsIsRefusedWithExit4() throws Exception {
        Path node = node("node-outsider", "authorizedInstallers:\n  groups: [" + GROUP + "]\n");
        assertEquals(ExitCode.NOT_AUTHORISED,
                cli(OUTSIDER, "install", "--root", node.toString(), v1.toString()));
        assertFalse(Files.exists(node.resolve("current")));
    }

    @Test
    void nodeConfigOwnedByAnotherUserIsRefusedWithExit2() throws Exception {
        Path node = node("node-badconfig", "authorizedInstallers:\n  groups: [" + GROUP + "]\n");
        assertEquals(0, sh("chown", OUTSIDER, node.resolve("config.yaml").toString()));
        assertEquals(ExitCode.USAGE,
                cli(INSTALLER, "install", "--root", node.toString(), v1.toString()));
    }

    /**
     * The issue's attack: an installer who is not a trust administrator tries to trust another vendor's PKI by
     * command. {@code trust set}, {@code add-anchor} and {@code remove-anchor} are refused with exit 4, each
     * audited {@code trust.unauthorized}, the store is byte-for-byte unchanged and the rogue 9.9 is still refused.
     */
    @Test
    void installerWhoIsNotATrustAdministratorCannotChangeTheTrustByCommand() throws Exception {
        Path node = separatedNode("node-trust-cmd", "authorizedInstallers:\n  groups: [" + GROUP + "]\n");
        assertEquals(ExitCode.OK, cli(INSTALLER, "install", "--root", node.toString(), v1.toString()));
        var before = store(node);
        String fp = NodeTrustStoreTest.fingerprint(anchor);
        assertEquals(ExitCode.NOT_AUTHORISED, cli(INSTALLER, "trust", "set", "--root", node.toString(), "--trust", rogueAnchor.toString()));
        assertEquals(ExitCode.NOT_AUTHORISED, cli(INSTALLER, "trust", "add-anchor", "--root", node.toString(), rogueAnchor.toString()));
        assertEquals(ExitCode.NOT_AUTHORISED, cli(INSTALLER, "trust", "remove-anchor", "--root", node.toString(), fp));
        assertEquals(before, store(node));
        String audit = Files.readString(node.resolve("audit/events.jsonl"), StandardCharsets.UTF_8);
        assertEquals(3, audit.lines().filter(l -> l.contains("\"trust.unauthorized\"") && l.contains(INSTALLER)).count(), audit);
        assertEquals(ExitCode.REJECTED, cli(INSTALLER, "install", "--root", node.toString(), rogue99.toString()));
        assertTrue(Files.readSymbolicLink(node.resolve("current")).toString().contains("acme-mme-1.0-"));
    }

    /** {@code install --trust rogue.pem} by the installer: exit 2 naming the node's policy file, nothing changed, audited. */
    @Test
    void installWithItsOwnTrustAnchorIsRefusedAndAudited() throws Exception {
        Path node = separatedNode("node-trust-option", "authorizedInstallers:\n  groups: [" + GROUP + "]\n");
        assertEquals(ExitCode.OK, cli(INSTALLER, "install", "--root", node.toString(), v1.toString()));
        var before = store(node);
        String current = Files.readSymbolicLink(node.resolve("current")).toString();
        assertEquals(ExitCode.USAGE, cli(INSTALLER, "install", "--root", node.toString(), "--trust", rogueAnchor.toString(), rogue99.toString()));
        assertEquals(current, Files.readSymbolicLink(node.resolve("current")).toString());
        assertEquals(before, store(node));
        assertTrue(Files.readString(node.resolve("state/versions.json")).contains("\"1.0\""), "floor unchanged");
        assertTrue(Files.readString(node.resolve("audit/events.jsonl")).contains("\"trust.option-refused\""));
    }

    /**
     * "By any path": in the separated layout the installer cannot write the trust store's files or move root's
     * {@code config/} or {@code config.yaml} aside (the sticky node root), so the next install still uses root's trust.
     */
    @Test
    void installerCannotReplaceTheTrustStoreByWritingFiles() throws Exception {
        Path node = separatedNode("node-trust-files", "authorizedInstallers:\n  groups: [" + GROUP + "]\n");
        assertEquals(ExitCode.OK, cli(INSTALLER, "install", "--root", node.toString(), v1.toString()));
        var before = store(node);
        String n = node.toString();
        for (String attack : List.of(
                "cp " + rogueAnchor + " " + n + "/config/trust/anchor-rogue.der",
                "echo 'trustAnchors: [" + rogueAnchor + "]' > " + n + "/config/policy.yaml",
                "mv " + n + "/config " + n + "/config.old",
                "mv " + n + "/config.yaml " + n + "/config.yaml.old",
                "rm -rf " + n + "/config",
                "chmod 0777 " + n + "/config")) {
            assertTrue(sh("runuser", "-u", INSTALLER, "--", "/bin/sh", "-c", attack) != 0, "the installer could: " + attack);
        }
        assertEquals(before, store(node));
        assertEquals(ExitCode.REJECTED, cli(INSTALLER, "install", "--root", n, rogue99.toString()));
    }

    /** A user named in {@code trustAdministrators} (owning {@code config/}) may change the trust; the change is audited. */
    @Test
    void listedTrustAdministratorChangesTheTrustAndIsAudited() throws Exception {
        Path node = node("node-trust-admin", "trustAdministrators:\n  users: [" + INSTALLER + "]\n"
                + "authorizedInstallers:\n  users: [" + INSTALLER + "]\n");
        assertEquals(0, sh("chown", "-R", INSTALLER + ":" + INSTALLER, node.resolve("config").toString()));
        assertEquals(ExitCode.OK, cli(INSTALLER, "trust", "add-anchor", "--root", node.toString(), rogueAnchor.toString()));
        String audit = Files.readString(node.resolve("audit/events.jsonl"));
        String rogueFp = NodeTrustStoreTest.fingerprint(rogueAnchor);
        assertTrue(audit.lines().anyMatch(l -> l.contains("\"trust.changed\"") && l.contains(INSTALLER) && l.contains(rogueFp)), audit);
        assertEquals(ExitCode.OK, cli(INSTALLER, "install", "--root", node.toString(), rogue99.toString()));
    }

    /**
     * The installer account forges a slot together with its sealed trust: on a private node it trusts its own PKI (a
     * rogue root with the vendor root's name), or the vendor's root with a rule relaxed ({@code archiveExecuteBits:
     * honour}, so the record may mark an unsigned file executable), installs a package there (its own, or one the vendor
     * signed), then copies the slot
     * directory and {@code state/slots/<slot>.{json,mf}} into the real node, repoints {@code current} and edits
     * {@code state/versions.json}: everything it may write. The sealed trust is none the node's trust administrator
     * set, so the guard refuses to start the program (INSTALLATION_TAMPERED, exit 126) and verify-installed reports
     * tampering (exit 1), not a retired anchor (exit 5); both are audited.
     */
    @Test
    void slotForgedWithASealedTrustTheAdministratorNeverSetIsTampered() throws Exception {
        Issued sameName = TestPki.cert("CN=Authz Root").ca(true).build();
        Path sameNamePem = base.resolve("same-name-root.pem");
        TestPki.writeCertificatesPem(sameNamePem, sameName.certificate());
        Path relaxed = base.resolve("relaxed-policy.yaml");
        Files.writeString(relaxed, "trustAnchors: [root.pem]\narchiveExecuteBits: honour\n");
        Path tree = Files.createDirectories(base.resolve("mmed-pkg/Files/bin"));
        Path mmed = tree.resolve("mmed");
        Path markers = Files.createDirectories(base.resolve("markers"));
        assertEquals(0, sh("chown", INSTALLER, markers.toString()));
        for (String[] forgery : List.of(new String[] {"rogue", "--trust", sameNamePem.toString()},
                new String[] {"relaxed", "--policy", relaxed.toString()})) {
            String name = forgery[0];
            Path node = separatedNode("node-forged-" + name, "authorizedInstallers:\n  groups: [" + GROUP + "]\n");
            Path genuine = packageRunning(mmed, base.resolve("mmed-1.0.csar"), "1.0", TestPki.cert("CN=Acme Code Signing,O=Acme")
                    .issuedBy(authzRoot).build().identity());
            assertEquals(ExitCode.OK, cli(INSTALLER, "install", "--root", node.toString(), genuine.toString()));

            Path priv = base.resolve("private-" + name);
            SignVerifyCommandTest.Run set = SignVerifyCommandTest.run("trust", "set", "--root", priv.toString(), forgery[1], forgery[2]);
            assertEquals(ExitCode.OK, set.exit(), set.err());
            Issued signer = name.equals("rogue") ? TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(sameName).build()
                    : TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(authzRoot).build();
            Path forged = packageRunning(mmed, base.resolve("mmed-9.9-" + name + ".csar"), "9.9", signer.identity());
            SignVerifyCommandTest.Run in = SignVerifyCommandTest.run("install", "--root", priv.toString(), forged.toString());
            assertEquals(ExitCode.OK, in.exit(), in.err());
            assertEquals(0, sh("chown", "-R", INSTALLER + ":" + INSTALLER, priv.toString())); // the installer's own node
            String slot = Files.readSymbolicLink(priv.resolve("current")).getFileName().toString();
            String n = node.toString();
            String p = priv.toString();
            assertEquals(0, sh("runuser", "-u", INSTALLER, "--", "/bin/sh", "-c", "set -e; cp -a " + p + "/slots/" + slot + " " + n
                    + "/slots/; cp " + p + "/state/slots/" + slot + ".json " + p + "/state/slots/" + slot + ".mf " + n + "/state/slots/; "
                    + "ln -s slots/" + slot + " " + n + "/current.new; mv -T " + n + "/current.new " + n + "/current; "
                    + "sed -i 's/\"1\\.0\"/\"9.9\"/g' " + n + "/state/versions.json"), "the installer may write all of this");
            assertTrue(Files.readString(node.resolve("state/versions.json")).contains("9.9"));

            Path marker = markers.resolve(name);
            int run = cli(INSTALLER, "run", "--root", n, "--", "Files/bin/mmed", marker.toString());
            assertEquals(ExitCode.TAMPERED, run, "the guard must not run a slot sealed with a trust the administrator never set");
            assertFalse(Files.exists(marker), "the forged program was started");
            assertEquals(ExitCode.REJECTED, cli(INSTALLER, "verify-installed", "--root", n));
            List<String> audit = Files.readAllLines(node.resolve("audit/events.jsonl"));
            assertTrue(audit.stream().anyMatch(l -> l.contains("\"guard.refused\"") && l.contains("INSTALLATION_TAMPERED")
                    && l.contains(slot)), String.join("\n", audit));
            assertTrue(audit.stream().anyMatch(l -> l.contains("\"scan\"") && l.contains("INSTALLATION_TAMPERED")), String.join("\n", audit));
            assertFalse(audit.stream().anyMatch(l -> l.contains("SIGNER_NO_LONGER_TRUSTED")), String.join("\n", audit));

        }
    }

    /** A package {@code acme-mme VERSION} whose {@code Files/bin/mmed} (0755, signed mode) creates the file named by its argument. */
    private static Path packageRunning(Path mmed, Path out, String version, org.veripack.core.sign.SigningIdentity id) throws Exception {
        Files.writeString(mmed, "#!/bin/sh\necho " + version + " > \"$1\"\n");
        Files.setPosixFilePermissions(mmed, PosixFilePermissions.fromString("rwxr-xr-x"));
        CsarSigner.builder(id).name("acme-mme").version(version).build().writeOption1(base.resolve("mmed-pkg"), out);
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-r--r--"));
        return out;
    }

    static int cli(String user, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("runuser", "-u", user, "--",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1",
                "-cp", classpath, "org.veripack.cli.Main"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(base.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "CLI timed out");
        System.out.println(user + " " + String.join(" ", args) + " -> " + p.exitValue() + "\n" + out);
        return p.exitValue();
    }

    /** Copies the test classpath where the unprivileged users can read it (~/.m2 of root is private). */
    static String shareClasspath(Path into) throws IOException {
        Files.createDirectories(into);
        List<String> out = new ArrayList<>();
        int i = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path src = Path.of(entry);
            if (!Files.exists(src)) {
                continue;
            }
            Path dst = into.resolve((i++) + "-" + src.getFileName());
            if (Files.isDirectory(src)) {
                try (Stream<Path> s = Files.walk(src)) {
                    for (Path p : (Iterable<Path>) s::iterator) {
                        Path t = dst.resolve(src.relativize(p).toString());
                        if (Files.isDirectory(p)) {
                            Files.createDirectories(t);
                        } else {
                            Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            } else {
                Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING);
            }
            out.add(dst.toString());
        }
        return String.join(File.pathSeparator, out);
    }

    static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/sbin", tool));
    }

    static int sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }
}
