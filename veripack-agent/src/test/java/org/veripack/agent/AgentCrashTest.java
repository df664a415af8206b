package org.veripack.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.RevocationSource;
import org.veripack.node.AuditLog;
import org.veripack.node.Node;
import org.veripack.node.ScanResult;

/**
 * kill -9 of the agent's JVM at every step of the install it runs and of its automatic rollback (the node's
 * failpoints, {@code -Dveripack.failpoint=NAME:kill}: the JVM halts there, no finally blocks, no shutdown hooks).
 * After each kill the node is on a complete slot that verify-installed accepts, the audit chain is intact, staging is
 * empty; and the agent started again converges: the new version installed and judged good, or, when its health check
 * fails, rolled back with the version remembered as failed.
 */
class AgentCrashTest {
    /** The node's install and activation steps, in order (docs/node.md "Install sequence"), then the atomic writes. */
    private static final List<String> INSTALL = List.of("install.staging-created", "install.extract-file", "install.extracted",
            "install.read-only", "install.sealed", "install.accepted-audited", "install.slot-moved", "activate.previous-switched",
            "activate.current-switched", "install.versions-written", "install.activation-audited", "install.staging-removed",
            "durable.temp-written", "durable.symlink-temp-created");
    /** The rollback's steps, reached when the new version fails its health check. */
    private static final List<String> ROLLBACK = List.of("rollback.verified", "rollback.versions-written", "rollback.current-switched",
            "rollback.previous-removed");

    @TempDir
    Path tmp;

    @Test
    void killDashNineOfTheAgentAtEveryInstallAndRollbackStepLeavesACompleteSlotAndTheAgentConverges() throws Exception {
        List<String> outcomes = new ArrayList<>();
        for (String point : INSTALL) {
            outcomes.add(point + ": " + crashAndRecover(point, "exit 0", "2.0"));
        }
        for (String point : ROLLBACK) {
            outcomes.add(point + ": " + crashAndRecover(point, "exit 1", "1.0"));
        }
        System.out.println(String.join("\n", outcomes));
        assertTrue(outcomes.stream().filter(o -> o.contains("killed")).count() >= INSTALL.size() + ROLLBACK.size() - 1,
                "the kills landed: " + outcomes);
    }

    /** One node at 1.0, the agent killed at {@code point} while taking 2.0 (whose program runs {@code script}). */
    private String crashAndRecover(String point, String script, String expectedFinal) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(point));
        AgentFixture f = new AgentFixture(dir, Instant.now());
        f.publish("acme-mme", "1.0", "exit 0");
        Node.open(f.node, Clock.systemUTC()).install(dir.resolve("acme-mme-1.0.csar"), RevocationSource.offline());
        Path config = f.configFile("interval: 1h\n");
        // 1.0 judged good by a first agent run (in this JVM), then 2.0 published
        new Agent(f.node, AgentConfig.load(config), Clock.systemUTC(), fixed(), t -> { }, new AgentMetrics(), l -> { },
                RevocationSource.offline()).tick();
        f.publish("acme-mme", "2.0", script);

        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1",
                "-Dveripack.failpoint=" + point + ":kill", "-cp", System.getProperty("java.class.path"), DaemonMain.class.getName(),
                f.node.toString(), config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile()).start();
        boolean ended = p.waitFor(60, TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly().waitFor();
        }
        String outcome = ended && p.exitValue() == 137 ? "killed" : "not killed (" + (ended ? "exit " + p.exitValue() : "still running") + ")";

        // the invariant: opening the node recovers; the active slot is complete and verifies; the chain holds
        Node node = Node.open(f.node, Clock.systemUTC());
        ScanResult scan = node.verifyInstalled();
        assertTrue(scan.intact(), point + ": " + scan.findings() + "\n" + Files.readString(dir.resolve("agent.log")));
        String active = node.status().active().orElseThrow().identity().version();
        assertTrue(active.equals("1.0") || active.equals("2.0"), point + ": " + active);
        assertEquals(0, count(f.node.resolve("staging")), point + ": staging emptied");
        AuditLog.Verification v = node.auditLog().verify();
        assertTrue(v.intact(), point + ": " + v.reason());

        // the agent started again converges
        Agent again = new Agent(f.node, AgentConfig.load(config), Clock.systemUTC(), fixed(), t -> { }, new AgentMetrics(), l -> { },
                RevocationSource.offline());
        again.tick();
        String end = Node.open(f.node, Clock.systemUTC()).status().active().orElseThrow().identity().version();
        assertEquals(expectedFinal, end, point + ": after the restart");
        AgentState s = AgentState.load(f.node);
        assertEquals(expectedFinal.equals("1.0"), s.failed("acme-mme", "2.0"), point + ": 2.0 remembered as failed");
        return outcome + ", active after the kill " + active + ", after the restart " + end;
    }

    private static RandomGenerator fixed() {
        return new RandomGenerator() {
            @Override public long nextLong() { return 0; }
            @Override public long nextLong(long bound) { return 0; }
        };
    }

    private static int count(Path d) {
        try (Stream<Path> s = Files.list(d)) {
            return (int) s.count();
        } catch (java.io.IOException e) {
            return 0;
        }
    }
}
