package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.cli.SignVerifyCommandTest.Run;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CsarSigner;

/**
 * StrictModes for the node's trust store (TS 33.117 §4.2.3.3.5: the list of trusted keys is access-controlled):
 * {@code NODE/config/policy.yaml}, the files it names (copied under {@code NODE/config/trust/}), the
 * {@code config/} directory and {@code NODE/config.yaml} must be owned by root or the node root's owner and not be
 * writable by group or others. Someone who writes one of them without being its owner (or makes it writable to
 * others) gets every following node command refused with exit 2 naming the file, and nothing installed or run.
 * Runs in-process; changing a file's owner needs root (skipped otherwise).
 */
class ProtectedTrustStoreTest {
    @TempDir Path dir;
    Path node;
    Path anchor;
    Path csar;
    Path marker;

    @BeforeEach
    void setUp() throws Exception {
        Issued root = TestPki.cert("CN=Node Root").ca(true).build();
        Issued leaf = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(root).build();
        anchor = dir.resolve("root.pem");
        TestPki.writeCertificatesPem(anchor, root.certificate());
        Path pkg = Files.createDirectories(dir.resolve("pkg/bin"));
        marker = dir.resolve("marker");
        Files.writeString(pkg.resolve("mmed"), "#!/bin/sh\ntouch \"$MARKER\"\n");
        Files.setPosixFilePermissions(pkg.resolve("mmed"), PosixFilePermissions.fromString("rwxr-xr-x"));
        csar = dir.resolve("acme.csar");
        CsarSigner.builder(leaf.identity()).name("acme-mme").version("1.0").build().writeOption1(dir.resolve("pkg"), csar);
        node = dir.resolve("node");
        Issued other = TestPki.cert("CN=CRL Issuer").ca(true).build();
        Files.write(dir.resolve("ca.crl"), TestPki.crl(other, TestPki.DEFAULT_NOW, TestPki.DEFAULT_NOT_AFTER).getEncoded());
        Path policy = dir.resolve("policy.yaml");
        Files.writeString(policy, "trustAnchors: [root.pem]\ncrls: [ca.crl]\n");
        Run set = SignVerifyCommandTest.run("trust", "set", "--root", node.toString(), "--policy", policy.toString());
        assertEquals(ExitCode.OK, set.exit(), set.err());
    }

    static void chmod(Path p, String perms) throws IOException {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    }

    Run install() {
        return SignVerifyCommandTest.run("install", "--root", node.toString(), csar.toString());
    }

    /** The one file of {@code config/trust/} whose name starts with {@code prefix}. */
    Path storeFile(String prefix) throws IOException {
        try (Stream<Path> s = Files.list(node.resolve("config/trust"))) {
            List<Path> l = s.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
            assertEquals(1, l.size(), l.toString());
            return l.get(0);
        }
    }

    /** Every node command refuses with exit 2 naming {@code unsafe}; nothing was installed and nothing ran. */
    void everyNodeCommandRefuses(Path unsafe) {
        List<Run> runs = List.of(install(),
                SignVerifyCommandTest.run("status", "--root", node.toString()),
                SignVerifyCommandTest.run("verify-installed", "--root", node.toString()),
                SignVerifyCommandTest.run("run", "--root", node.toString(), "--env", "MARKER=" + marker, "--", "bin/mmed"),
                SignVerifyCommandTest.run("trust", "show", "--root", node.toString()));
        for (Run r : runs) {
            assertEquals(ExitCode.USAGE, r.exit(), r.err());
            assertTrue(r.err().contains(unsafe.toString()), "names " + unsafe + ": " + r.err());
        }
        assertFalse(Files.exists(marker), "nothing ran");
    }

    @Test
    void protectedStoreInstallsAndRuns() throws Exception {
        assertEquals(ExitCode.OK, install().exit());
        assertEquals(0, SignVerifyCommandTest.run("run", "--root", node.toString(), "--env", "MARKER=" + marker, "--", "bin/mmed").exit());
        assertTrue(Files.exists(marker));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(node.resolve("config/policy.yaml"))));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(node.resolve("config/trust"))));
    }

    @Test
    void groupWritablePolicyFileIsRefusedByEveryNodeCommand() throws Exception {
        Path policy = node.resolve("config/policy.yaml");
        chmod(policy, "rw-rw-r--");
        everyNodeCommandRefuses(policy);
        assertFalse(Files.exists(node.resolve("current")));
        chmod(policy, "rw-r--r--");
        assertEquals(ExitCode.OK, install().exit());
    }

    @Test
    void worldWritableAnchorInTheStoreIsRefused() throws Exception {
        assertEquals(ExitCode.OK, install().exit());
        Path a = storeFile("anchor-");
        chmod(a, "rw-r--rw-");
        everyNodeCommandRefuses(a);
    }

    @Test
    void groupWritableCrlCopiedIntoTheStoreIsRefused() throws Exception {
        Path crl = storeFile("crls-");
        chmod(crl, "rw-rw----");
        Run r = install();
        assertEquals(ExitCode.USAGE, r.exit());
        assertTrue(r.err().contains(crl.toString()), r.err());
    }

    @Test
    void groupWritableConfigDirectoryIsRefused() throws Exception {
        Path config = node.resolve("config");
        chmod(config, "rwxrwxr-x");
        everyNodeCommandRefuses(config);
    }

    @Test
    void fileNamedOutsideTheStoreAndWritableByOthersIsRefused() throws Exception {
        // a policy edited by hand to name a file outside NODE/config: that file is checked too
        Path outside = Files.createDirectories(dir.resolve("elsewhere")).resolve("extra.pem");
        Files.copy(anchor, outside);
        chmod(outside, "rw-rw-rw-");
        Path policy = node.resolve("config/policy.yaml");
        Files.writeString(policy, Files.readString(policy).replace("trustAnchors:", "intermediates: [\"" + outside + "\"]\ntrustAnchors:"));
        Run r = install();
        assertEquals(ExitCode.USAGE, r.exit(), r.err());
        assertTrue(r.err().contains(outside.toString()), r.err());
    }

    @Test
    void groupWritableNodeConfigIsRefused() throws Exception {
        Path config = Files.writeString(node.resolve("config.yaml"), "authorizedInstallers: {users: [root]}\n");
        chmod(config, "rw-rw-r--");
        Run r = install();
        assertEquals(ExitCode.USAGE, r.exit());
        assertTrue(r.err().contains(config.toString()), r.err());
        chmod(config, "rw-r--r--");
        assertEquals(ExitCode.OK, install().exit());
    }

    /** "Writing the file as a non-owner": a policy now owned by another user is refused, so is an anchor. */
    @Test
    void trustFilesOwnedByAnotherUserAreRefused() throws Exception {
        assumeTrue(isRoot(), "changing a file's owner needs root; this run is not root");
        assertEquals(ExitCode.OK, install().exit());
        Path policy = node.resolve("config/policy.yaml");
        Files.setAttribute(policy, "unix:uid", 65534);
        everyNodeCommandRefuses(policy);
        Files.setAttribute(policy, "unix:uid", 0);
        Path a = storeFile("anchor-");
        Files.setAttribute(a, "unix:uid", 65534);
        everyNodeCommandRefuses(a);
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
