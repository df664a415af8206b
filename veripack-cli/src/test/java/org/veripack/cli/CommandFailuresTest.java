package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.cli.SignVerifyCommandTest.Run;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CsarSigner;
import org.veripack.node.internal.Failpoints;

/**
 * The one exception-to-exit-code mapping (CommandFailures, picocli's execution-exception handler) for every node
 * command: no node root is exit 2, an unsafe node root exit 2, an I/O failure in the middle of an install exit 3 with
 * the active version unchanged; always one line on stderr, never a stack trace.
 */
class CommandFailuresTest {
    @TempDir Path dir;

    private static List<String[]> nodeCommands(Path root) {
        String r = root.toString();
        return List.of(new String[] {"status", "--root", r}, new String[] {"verify-installed", "--root", r},
                new String[] {"run", "--root", r, "--", "bin/prog"}, new String[] {"rollback", "--root", r},
                new String[] {"install", "--root", r, root.resolveSibling("x.csar").toString()});
    }

    private static void assertOneLine(Run r, String command) {
        assertEquals(1, r.err().lines().count(), command + ": " + r.err());
        assertTrue(r.err().startsWith("veripack " + command + ": "), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test
    void noNodeRootIsAUsageErrorForEveryNodeCommand() throws Exception {
        Path missing = dir.resolve("no-such-node");
        Files.writeString(dir.resolve("x.csar"), "not a zip");
        for (String[] args : nodeCommands(missing)) {
            Run r = SignVerifyCommandTest.run(args);
            if (args[0].equals("install")) {
                // install first asks for the node's trust store: the same usage error, its own message
                assertEquals(ExitCode.USAGE, r.exit(), r.err());
                continue;
            }
            assertEquals(ExitCode.USAGE, r.exit(), args[0] + ": " + r.err());
            assertOneLine(r, args[0]);
            assertFalse(Files.exists(missing), "no node root was created by " + args[0]);
        }
    }

    @Test
    void anInstallFailingWithAnIoErrorIsExit3AndKeepsTheActiveVersion() throws Exception {
        Issued root = TestPki.cert("CN=Failures Root,O=Acme").ca(true).build();
        Issued leaf = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(root).build();
        Path anchor = dir.resolve("root.pem");
        TestPki.writeCertificatesPem(anchor, root.certificate());
        Path tree = Files.createDirectories(dir.resolve("tree/bin"));
        Files.writeString(tree.resolve("prog"), "#!/bin/sh\n");
        Path v1 = dir.resolve("v1.csar");
        Path v2 = dir.resolve("v2.csar");
        CsarSigner.builder(leaf.identity()).name("acme-mme").version("1.0").build().writeOption1(dir.resolve("tree"), v1);
        CsarSigner.builder(leaf.identity()).name("acme-mme").version("1.1").build().writeOption1(dir.resolve("tree"), v2);
        Path node = dir.resolve("node");
        assertEquals(ExitCode.OK, SignVerifyCommandTest.run("trust", "set", "--root", node.toString(), "--trust", anchor.toString()).exit());
        assertEquals(ExitCode.OK, SignVerifyCommandTest.run("install", "--root", node.toString(), v1.toString()).exit());
        Path active = Files.readSymbolicLink(node.resolve("current"));

        Failpoints.armForTest("install.staging-created:fail");
        Run r;
        try {
            r = SignVerifyCommandTest.run("install", "--root", node.toString(), v2.toString());
        } finally {
            Failpoints.armForTest(null);
        }
        assertEquals(ExitCode.IO, r.exit(), r.err());
        assertOneLine(r, "install");
        assertEquals(active, Files.readSymbolicLink(node.resolve("current")));

        Files.setPosixFilePermissions(node, PosixFilePermissions.fromString("rwxrwxrwx")); // writable by anyone: unsafe
        try {
            for (String[] args : nodeCommands(node)) {
                Run u = SignVerifyCommandTest.run(args);
                assertEquals(ExitCode.USAGE, u.exit(), args[0] + ": " + u.err());
                assertFalse(u.err().contains("\tat "), u.err());
            }
        } finally {
            Files.setPosixFilePermissions(node, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        assertEquals(active, Files.readSymbolicLink(node.resolve("current")));
    }
}
