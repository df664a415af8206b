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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CsarSigner;

/**
 * StrictModes for the node's trust store (TS 33.117): {@code install} refuses a policy, anchor, CRL or
 * {@code NODE/config.yaml} that group/others could write or that another user owns — exit 2 naming the
 * file, nothing installed. Runs in-process; changing a file's owner needs root (skipped otherwise).
 */
class ProtectedTrustStoreTest {
    @TempDir Path dir;
    Path node;
    Path anchor;
    Path csar;

    @BeforeEach
    void setUp() throws Exception {
        Issued root = TestPki.cert("CN=Node Root").ca(true).build();
        Issued leaf = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(root).build();
        anchor = dir.resolve("root.pem");
        TestPki.writeCertificatesPem(anchor, root.certificate());
        Path pkg = Files.createDirectories(dir.resolve("pkg/Files"));
        Files.writeString(pkg.resolve("mmed"), "mme\n");
        csar = dir.resolve("acme.csar");
        CsarSigner.builder(leaf.identity()).name("acme-mme").version("1.0").build().writeOption1(dir.resolve("pkg"), csar);
        node = dir.resolve("node");
        chmod(anchor, "rw-r--r--");
    }

    static void chmod(Path p, String perms) throws IOException {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    }

    SignVerifyCommandTest.Run install(String... trust) {
        String[] args = new String[trust.length + 4];
        args[0] = "install";
        args[1] = "--root";
        args[2] = node.toString();
        System.arraycopy(trust, 0, args, 3, trust.length);
        args[args.length - 1] = csar.toString();
        return SignVerifyCommandTest.run(args);
    }

    Path policy(String extra) throws IOException {
        Path p = dir.resolve("policy.yaml");
        Files.writeString(p, "trustAnchors: [root.pem]\n" + extra);
        chmod(p, "rw-r--r--");
        return p;
    }

    @Test
    void protectedFilesInstall() throws Exception {
        assertEquals(ExitCode.OK, install("--policy", policy("").toString()).exit());
    }

    @Test
    void groupWritablePolicyIsRefused() throws Exception {
        Path p = policy("");
        chmod(p, "rw-rw-r--");
        SignVerifyCommandTest.Run r = install("--policy", p.toString());
        assertEquals(ExitCode.USAGE, r.exit());
        assertTrue(r.err().contains(p.toString()), r.err());
        assertFalse(Files.exists(node.resolve("current")));
    }

    @Test
    void worldWritableAnchorIsRefused() throws Exception {
        chmod(anchor, "rw-r--rw-");
        SignVerifyCommandTest.Run r = install("--trust", anchor.toString());
        assertEquals(ExitCode.USAGE, r.exit());
        assertTrue(r.err().contains(anchor.toString()), r.err());
    }

    @Test
    void anchorNamedByThePolicyAndWritableByOthersIsRefused() throws Exception {
        Path p = policy("");
        chmod(anchor, "rw-rw-rw-");
        SignVerifyCommandTest.Run r = install("--policy", p.toString());
        assertEquals(ExitCode.USAGE, r.exit());
        assertTrue(r.err().contains(anchor.toString()), r.err());
    }

    @Test
    void groupWritableCrlIsRefused() throws Exception {
        Issued other = TestPki.cert("CN=CRL Issuer").ca(true).build();
        Path crl = dir.resolve("ca.crl");
        Files.write(crl, TestPki.crl(other, TestPki.DEFAULT_NOW, TestPki.DEFAULT_NOT_AFTER).getEncoded());
        chmod(crl, "rw-rw----");
        SignVerifyCommandTest.Run r = install("--policy", policy("crls: [ca.crl]\n").toString());
        assertEquals(ExitCode.USAGE, r.exit());
        assertTrue(r.err().contains(crl.toString()), r.err());
    }

    @Test
    void groupWritableNodeConfigIsRefused() throws Exception {
        Files.createDirectories(node);
        Path config = Files.writeString(node.resolve("config.yaml"), "authorizedInstallers: {users: [root]}\n");
        chmod(config, "rw-rw-r--");
        SignVerifyCommandTest.Run r = install("--trust", anchor.toString());
        assertEquals(ExitCode.USAGE, r.exit());
        assertTrue(r.err().contains(config.toString()), r.err());
        chmod(config, "rw-r--r--");
        assertEquals(ExitCode.OK, install("--trust", anchor.toString()).exit());
    }

    @Test
    void anchorOwnedByAnotherUserIsRefused() throws Exception {
        assumeTrue(isRoot(), "changing a file's owner needs root; this run is not root");
        Files.setAttribute(anchor, "unix:uid", 65534);
        SignVerifyCommandTest.Run r = install("--trust", anchor.toString());
        assertEquals(ExitCode.USAGE, r.exit());
        assertTrue(r.err().contains(anchor.toString()), r.err());
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

}
