package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.cli.SignVerifyCommandTest.Run;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CsarSigner;
import org.veripack.core.sign.SigningIdentity;
import org.veripack.node.Node;
import org.veripack.node.NodeStatus;
import org.veripack.node.internal.Failpoints;

/**
 * Issue 5 item 5: the node's fault matrix. Every filesystem step of install, activation and rollback
 * ({@link Failpoints#NAMES}) is made to fail (in-process, injected {@code IOException}) and to die
 * (a child {@code veripack} process halted at that step, the effect of {@code kill -9}); after each,
 * {@code current} must be a complete verified slot of the old or the new version ({@code verify-installed}
 * passes), {@code status} must tell the truth (the active slot's own VERSION file), staging must be
 * empty after the next command, and the audit chain must verify. Reproduces RAUC CVE-2020-25860's lesson
 * (installation must not depend on a world that can change or stop mid-way).
 */
class FaultMatrixTest {
    @TempDir Path dir;
    private Path anchor;
    private Path v1;
    private Path v2;
    private Path tree;
    private SigningIdentity vendor;

    @BeforeEach
    void setUp() throws Exception {
        Issued root = TestPki.cert("CN=Fault Root,O=Acme").ca(true).build();
        Issued leaf = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(root).build();
        vendor = leaf.identity();
        anchor = dir.resolve("root.pem");
        TestPki.writeCertificatesPem(anchor, root.certificate());
        tree = Files.createDirectories(dir.resolve("tree"));
        Files.createDirectories(tree.resolve("bin"));
        Files.writeString(tree.resolve("bin/mmed"), "#!/bin/sh\necho mme\n");
        Files.setPosixFilePermissions(tree.resolve("bin/mmed"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createSymbolicLink(tree.resolve("bin/mme"), Path.of("mmed"));
        for (int i = 0; i < 8; i++) {
            Files.writeString(Files.createDirectories(tree.resolve("lib")).resolve("part" + i), ("data " + i + "\n").repeat(200));
        }
        v1 = sign("1.0");
        v2 = sign("2.0");
    }

    @AfterEach
    void disarm() {
        Failpoints.armForTest(null);
    }

    private Path sign(String version) throws IOException {
        Files.writeString(tree.resolve("VERSION"), version);
        Path out = dir.resolve("acme-mme-" + version + ".csar");
        CsarSigner.builder(vendor).name("acme-mme").version(version).build().writeOption1(tree, out);
        return out;
    }

    private static boolean isRollbackPoint(String name) {
        return name.startsWith("rollback.");
    }

    /** A node with v1 active (and, for rollback points, v2 active over v1). */
    private Path prepareNode(String name) {
        Path node = dir.resolve("node-" + name.replace('.', '_') + "-" + System.nanoTime());
        assertEquals(ExitCode.OK, install(node, v1).exit());
        if (isRollbackPoint(name)) {
            assertEquals(ExitCode.OK, install(node, v2).exit());
        }
        return node;
    }

    private Run install(Path node, Path csar) {
        return SignVerifyCommandTest.run("install", "--root", node.toString(), "--trust", anchor.toString(), csar.toString());
    }

    private List<String> operation(Path node, String name) {
        return isRollbackPoint(name) ? List.of("rollback", "--root", node.toString())
                : List.of("install", "--root", node.toString(), "--trust", anchor.toString(), v2.toString());
    }

    @Test
    void everyFilesystemStepFailingLeavesAConsistentNode() throws Exception {
        List<String> report = new ArrayList<>();
        for (String name : Failpoints.NAMES) {
            Path node = prepareNode(name);
            Failpoints.armForTest(name + ":fail");
            Run r = SignVerifyCommandTest.run(operation(node, name).toArray(String[]::new));
            Failpoints.armForTest(null);
            report.add(name + " -> exit " + r.exit());
            assertEquals(ExitCode.IO, r.exit(), () -> name + " was not reached or did not fail: " + r.err());
            assertConsistent(node, name);
        }
        System.out.println("fail matrix: " + report);
    }

    @Test
    void everyFilesystemStepKilledLeavesAConsistentNode() throws Exception {
        List<String> report = new ArrayList<>();
        for (String name : Failpoints.NAMES) {
            Path node = prepareNode(name);
            List<String> cmd = new ArrayList<>(List.of(javaBin(), "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                    "-D" + Failpoints.PROPERTY + "=" + name + ":kill", "-cp", System.getProperty("java.class.path"),
                    "org.veripack.cli.Main"));
            cmd.addAll(operation(node, name));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("kill-" + name + ".log").toFile()).start();
            int exit = p.waitFor();
            report.add(name + " -> exit " + exit);
            assertEquals(137, exit, () -> name + " was not reached: " + read(dir.resolve("kill-" + name + ".log")));
            assertConsistent(node, name);
        }
        System.out.println("kill matrix: " + report);
    }

    /** The crash invariant of DESIGN.md, checked through the commands an operator would run. */
    private void assertConsistent(Path node, String name) throws Exception {
        Run scan = SignVerifyCommandTest.run("verify-installed", "--root", node.toString());
        assertEquals(ExitCode.OK, scan.exit(), () -> name + ": current is not a complete verified slot: " + scan.err());
        assertEquals(0, count(node.resolve("staging")), () -> name + ": staging not emptied by the next command");
        NodeStatus st = Node.openExisting(node, Clock.systemUTC()).status();
        String active = st.active().orElseThrow().identity().version();
        assertTrue(active.equals("1.0") || active.equals("2.0"), name + ": active " + active);
        assertEquals(active, Files.readString(node.resolve("current").resolve("VERSION")), name + ": status tells the truth");
        Optional<String> floor = Optional.ofNullable(st.highestActivated().get("acme-mme"));
        assertTrue(floor.isPresent() && (floor.get().equals(active) || floor.get().equals("2.0")),
                name + ": version floor " + floor + " with active " + active);
        Run audit = SignVerifyCommandTest.run("audit", "verify", "--root", node.toString());
        assertEquals(ExitCode.OK, audit.exit(), () -> name + ": audit chain broken: " + audit.err());
    }

    static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    static int count(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return (int) s.count();
        }
    }
}
