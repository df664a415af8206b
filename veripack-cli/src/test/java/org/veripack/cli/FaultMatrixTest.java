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
        assertEquals(ExitCode.OK, trust(node).exit());
        assertEquals(ExitCode.OK, install(node, v1).exit());
        if (isRollbackPoint(name)) {
            assertEquals(ExitCode.OK, install(node, v2).exit());
        }
        return node;
    }

    /** The trust administrator sets the node's trust store (creating the node root). */
    private Run trust(Path node) {
        return SignVerifyCommandTest.run("trust", "set", "--root", node.toString(), "--trust", anchor.toString());
    }

    private Run install(Path node, Path csar) {
        return SignVerifyCommandTest.run("install", "--root", node.toString(), csar.toString());
    }

    private List<String> operation(Path node, String name) {
        return isRollbackPoint(name) ? List.of("rollback", "--root", node.toString())
                : List.of("install", "--root", node.toString(), v2.toString());
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
            assertTrue(!r.err().contains("\tat ") && !r.out().contains("\tat "), () -> name + ": stack trace printed: " + r.err());
            assertConsistent(node, name);
        }
        System.out.println("fail matrix: " + report);
    }

    @Test
    void everyFilesystemStepKilledLeavesAConsistentNode() throws Exception {
        List<String> report = new ArrayList<>();
        List<String> names = Failpoints.NAMES;
        int batch = Math.max(2, Runtime.getRuntime().availableProcessors());
        for (int from = 0; from < names.size(); from += batch) {
            List<String> group = names.subList(from, Math.min(names.size(), from + batch));
            List<Path> nodes = new ArrayList<>();
            List<Process> children = new ArrayList<>();
            for (String name : group) { // independent nodes, so the children of one batch run side by side
                Path node = prepareNode(name);
                nodes.add(node);
                List<String> cmd = new ArrayList<>(List.of(javaBin(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
                        "-D" + Failpoints.PROPERTY + "=" + name + ":kill", "-cp", System.getProperty("java.class.path"),
                        "org.veripack.cli.Main"));
                cmd.addAll(operation(node, name));
                children.add(new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(dir.resolve("kill-" + name + ".log").toFile()).start());
            }
            for (int i = 0; i < group.size(); i++) {
                String name = group.get(i);
                int exit = children.get(i).waitFor();
                report.add(name + " -> exit " + exit);
                assertEquals(137, exit, () -> name + " was not reached: " + read(dir.resolve("kill-" + name + ".log")));
                assertConsistent(nodes.get(i), name);
            }
        }
        System.out.println("kill matrix: " + report);
    }

    /**
     * RAUC CVE-2020-25860 (verify-then-install race): the package file is rewritten on disk after its
     * signature was checked, while its artifacts are being extracted (a failpoint pauses the installer
     * at the first artifact). Rewritten in place (same inode: the installer's open file sees the new
     * bytes) the tampered artifact must be REJECTED with current unchanged; replaced by rename (new
     * inode) the installer must keep reading the bytes it verified. Either way the installed bytes are
     * the signed ones.
     */
    @Test
    void packageRewrittenOnDiskDuringInstallInstallsOnlyVerifiedBytes() throws Exception {
        String original = Files.readString(tree.resolve("lib/part0"));
        for (boolean inPlace : new boolean[] {true, false}) {
            Path node = prepareNode("race-" + inPlace);
            Path pkg = dir.resolve("race-" + inPlace + ".csar");
            Files.copy(v2, pkg);
            byte[] tampered = tamperedCopy(v2, "lib/part0");
            Path pause = Files.createDirectories(dir.resolve("pause-" + inPlace));
            Process p = new ProcessBuilder(javaBin(), "-XX:TieredStopAtLevel=1",
                    "-D" + Failpoints.PROPERTY + "=install.extract-file:pause:" + pause, "-cp", System.getProperty("java.class.path"),
                    "org.veripack.cli.Main", "install", "--root", node.toString(), pkg.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("race-" + inPlace + ".log").toFile()).start();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!Files.exists(pause.resolve("paused")) && p.isAlive() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertTrue(Files.exists(pause.resolve("paused")), () -> "installer never paused: " + read(dir.resolve("race-" + inPlace + ".log")));
            if (inPlace) {
                Files.write(pkg, tampered); // O_TRUNC on the same inode
            } else {
                Path next = dir.resolve("race-next.csar");
                Files.write(next, tampered);
                Files.move(next, pkg, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            Files.createFile(pause.resolve("resume"));
            int exit = p.waitFor();
            String log = read(dir.resolve("race-" + inPlace + ".log"));
            assertTrue(exit == ExitCode.REJECTED || exit == ExitCode.OK, () -> "exit " + exit + ": " + log);
            assertTrue(!log.contains("\tat "), () -> "stack trace printed: " + log);
            String active = Files.readString(node.resolve("current/VERSION"));
            if (exit == ExitCode.REJECTED) {
                assertEquals("1.0", active, "a refused install left current unchanged");
            } else {
                assertEquals("2.0", active);
            }
            assertEquals(original, Files.readString(node.resolve("current/lib/part0")), "installed bytes are the signed bytes");
            assertConsistent(node, "race-" + inPlace);
            System.out.println("rewrite " + (inPlace ? "in place" : "by rename") + " during install -> exit " + exit);
        }
    }

    /**
     * Disk full during install (a 640 KiB tmpfs node root; a 1 MiB incompressible artifact): exit 3,
     * current unchanged, staging emptied, audit chain intact. Needs {@code mount -t tmpfs} (root); the
     * failpoint matrix above injects the same I/O failure at every step where mounting is not allowed.
     */
    @Test
    void diskFullDuringInstallLeavesCurrentUnchanged() throws Exception {
        Path mnt = Files.createDirectories(dir.resolve("tmpfs"));
        Process m = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=640k", "tmpfs", mnt.toString())
                .redirectErrorStream(true).start();
        boolean mounted = m.waitFor() == 0;
        org.junit.jupiter.api.Assumptions.assumeTrue(mounted,
                "SKIPPED: mount -t tmpfs not permitted here (" + new String(m.getInputStream().readAllBytes()).strip()
                        + "); FaultMatrixTest#everyFilesystemStepFailingLeavesAConsistentNode covers the I/O failure by failpoint");
        try {
            Path node = mnt.resolve("node");
            assertEquals(ExitCode.OK, trust(node).exit());
            assertEquals(ExitCode.OK, install(node, v1).exit());
            byte[] noise = new byte[1024 * 1024];
            new java.util.Random(7).nextBytes(noise);
            Files.write(tree.resolve("lib/firmware.bin"), noise);
            Path big = sign("3.0");
            Run r = install(node, big);
            assertEquals(ExitCode.IO, r.exit(), () -> "disk full must be exit 3: " + r.err());
            assertEquals("1.0", Files.readString(node.resolve("current/VERSION")));
            assertConsistent(node, "disk-full");
            assertEquals(0, count(node.resolve("staging")));
        } finally {
            new ProcessBuilder("umount", "-l", mnt.toString()).start().waitFor();
        }
    }

    /** {@code csar} with one artifact's content changed (same length), manifest and signature untouched. */
    private static byte[] tamperedCopy(Path csar, String artifact) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (org.apache.commons.compress.archivers.zip.ZipFile z = org.apache.commons.compress.archivers.zip.ZipFile.builder().setPath(csar).get();
             org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream out =
                     new org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream(bytes)) {
            for (var e : java.util.Collections.list(z.getEntriesInPhysicalOrder())) {
                byte[] data;
                try (var in = z.getInputStream(e)) {
                    data = in.readAllBytes();
                }
                if (e.getName().endsWith(artifact)) {
                    data[0] ^= 0x20;
                }
                var ne = new org.apache.commons.compress.archivers.zip.ZipArchiveEntry(e.getName());
                ne.setUnixMode(e.getUnixMode());
                out.putArchiveEntry(ne);
                out.write(data);
                out.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** The crash invariant of docs/node.md "Install sequence", checked through the commands an operator would run. */
    private void assertConsistent(Path node, String name) throws Exception {
        Run scan = SignVerifyCommandTest.run("verify-installed", "--root", node.toString());
        assertEquals(ExitCode.OK, scan.exit(), () -> name + ": current is not a complete verified slot: " + scan.err());
        assertEquals(0, count(node.resolve("staging")), () -> name + ": staging not emptied by the next command");
        NodeStatus st = Node.openExisting(node, Clock.systemUTC()).status();
        String active = st.active().orElseThrow().identity().version();
        assertTrue(active.equals("1.0") || active.equals("2.0"), name + ": active " + active);
        assertEquals(active, Files.readString(node.resolve("current").resolve("VERSION")), name + ": status tells the truth");
        assertTrue(st.previous().isEmpty() || !st.previous().get().slot().equals(st.active().get().slot()),
                name + ": the active slot is its own rollback target");
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
