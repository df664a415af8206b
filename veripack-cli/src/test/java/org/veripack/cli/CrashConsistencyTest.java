package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CsarSigner;
import org.veripack.core.sign.SigningIdentity;
import org.veripack.node.Node;
import org.veripack.node.NodeStatus;

/**
 * kill -9 of a real installer process ({@code java ... org.veripack.cli.Main install}, killed with
 * {@link Process#destroyForcibly()}) at many points of an upgrade of a ~6.5 MB, 200-file package:
 * while staging is created, part-way through extraction, after the seal, after the slot moved, after
 * activation, and at fixed delays. After each kill the invariant must hold: {@code current} names a
 * complete slot that passes {@code verify-installed}; status tells the truth (the active slot's own
 * VERSION file matches the reported version; the floor is the highest version that was activated);
 * the next command empties staging.
 */
class CrashConsistencyTest {
    private static final int FILES = 200;
    private static final int FILE_BYTES = 32 * 1024;

    @TempDir Path dir;

    @Test
    void killDashNineAtAnyPointLeavesCurrentOnACompleteVerifiedSlot() throws Exception {
        Issued root = TestPki.cert("CN=Crash Root").ca(true).build();
        Issued leaf = TestPki.cert("CN=Crash Signing").issuedBy(root).build();
        SigningIdentity id = leaf.identity();
        Path anchor = dir.resolve("root.pem");
        TestPki.writeCertificatesPem(anchor, root.certificate());
        Path tree = Files.createDirectories(dir.resolve("tree"));
        Random rnd = new Random(42);
        for (int i = 0; i < FILES; i++) {
            Path f = tree.resolve("lib/d" + (i % 10) + "/f" + i + ".bin");
            Files.createDirectories(f.getParent());
            byte[] b = new byte[FILE_BYTES];
            rnd.nextBytes(b);
            Files.write(f, b);
        }
        Path node = dir.resolve("node");
        List<Path> packages = new ArrayList<>();
        int points = 10;
        for (int v = 1; v <= points + 1; v++) {
            Files.writeString(tree.resolve("VERSION"), "1." + v);
            Path csar = dir.resolve("pkg-1." + v + ".csar");
            CsarSigner.builder(id).name("acme-mme").version("1." + v).build().writeOption1(tree, csar);
            packages.add(csar);
        }
        long t0 = System.nanoTime();
        assertEquals(ExitCode.OK, SignVerifyCommandTest.run("trust", "set", "--root", node.toString(), "--trust", anchor.toString()).exit());
        assertEquals(ExitCode.OK, SignVerifyCommandTest.run("install", "--root", node.toString(), packages.get(0).toString()).exit());
        System.out.println("first install ms " + (System.nanoTime() - t0) / 1_000_000);

        List<String> highestSeen = new ArrayList<>(List.of("1.1"));
        List<String> outcomes = new ArrayList<>();
        for (int i = 0; i < points; i++) {
            Path csar = packages.get(i + 1);
            String version = "1." + (i + 2);
            int before = count(node.resolve("state/slots"));
            String currentBefore = Files.readSymbolicLink(node.resolve("current")).toString();
            BooleanSupplier when = switch (i % 7) {
                case 0 -> () -> exists(node.resolve("staging"), 1);
                case 1 -> () -> deepCount(node.resolve("staging")) > 20;
                case 2 -> () -> deepCount(node.resolve("staging")) > FILES / 2;
                case 3 -> () -> count(node.resolve("state/slots")) > before;
                case 4 -> () -> count(node.resolve("slots")) > 2;
                case 5 -> () -> !currentBefore.equals(readLink(node.resolve("current")));
                default -> () -> false; // fixed delay only
            };
            long delayMillis = 150L * (i + 1);
            Process p = new ProcessBuilder(javaBin(), "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "org.veripack.cli.Main",
                    "install", "--root", node.toString(), csar.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("installer-" + i + ".log").toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(i % 7 == 6 ? delayMillis : 20_000);
            while (p.isAlive() && System.nanoTime() < deadline && !when.getAsBoolean()) {
                Thread.onSpinWait();
            }
            boolean killedAlive = p.isAlive();
            p.destroyForcibly();
            p.waitFor();
            outcomes.add(version + (killedAlive ? " killed" : " finished(" + p.exitValue() + ")"));
            System.out.println(outcomes.get(outcomes.size() - 1) + " at ms " + (System.nanoTime() - t0) / 1_000_000);

            // the invariant, checked by the next commands (which also run recovery)
            SignVerifyCommandTest.Run scan = SignVerifyCommandTest.run("verify-installed", "--root", node.toString());
            assertEquals(ExitCode.OK, scan.exit(), "after " + outcomes + ": " + scan.err());
            assertEquals(0, count(node.resolve("staging")), "staging emptied");
            NodeStatus st = Node.openExisting(node, Clock.systemUTC()).status();
            String active = st.active().orElseThrow().identity().version();
            assertTrue(active.equals(version) || currentBefore.contains("-" + active + "-"),
                    "active " + active + " after " + outcomes);
            assertEquals(active, Files.readString(node.resolve("current").resolve("VERSION")), "status tells the truth");
            if (active.equals(version)) {
                highestSeen.add(version);
            }
            String floor = st.highestActivated().get("acme-mme");
            String expectedFloor = highestSeen.stream().max(java.util.Comparator.comparingInt((String v) -> Integer.parseInt(v.substring(2)))).orElseThrow();
            assertEquals(expectedFloor, floor, "version floor after " + outcomes);
            System.out.println("  checked at ms " + (System.nanoTime() - t0) / 1_000_000);
        }
        assertEquals(ExitCode.OK, SignVerifyCommandTest.run("audit", "verify", "--root", node.toString()).exit());
        assertTrue(outcomes.stream().filter(o -> o.endsWith("killed")).count() >= points / 2, "kills landed mid-install: " + outcomes);
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String readLink(Path p) {
        try {
            return Files.readSymbolicLink(p).toString();
        } catch (IOException e) {
            return "";
        }
    }

    private static boolean exists(Path dir, int atLeast) {
        return count(dir) >= atLeast;
    }

    private static int count(Path d) {
        try (Stream<Path> s = Files.list(d)) {
            return (int) s.count();
        } catch (IOException e) {
            return 0;
        }
    }

    private static int deepCount(Path d) {
        try (Stream<Path> s = Files.walk(d)) {
            return (int) s.count();
        } catch (IOException | java.io.UncheckedIOException e) {
            return 0;
        }
    }
}
