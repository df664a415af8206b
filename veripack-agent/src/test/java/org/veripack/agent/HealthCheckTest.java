package org.veripack.agent;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The time bound of a configured command kills everything the command started, also what left its process tree. */
class HealthCheckTest {
    @TempDir
    Path tmp;

    @Test
    void aTimedOutCheckLeavesNoProcessBehindEvenADoubleForkedSetsidOne() throws Exception {
        Path child = tmp.resolve("child.pid");
        Path escaped = tmp.resolve("escaped.pid");
        // a child in the tree, and a grandchild that double-forks into its own session (re-parented away from the check)
        String script = "sh -c 'echo $$ > " + child + "; exec sleep 300' & "
                + "( setsid sh -c 'echo $$ > " + escaped + "; exec sleep 300' > /dev/null 2>&1 & ) ; "
                + "sleep 300";
        HealthCheck.Outcome o = HealthCheck.run(List.of("/bin/sh", "-c", script), Duration.ofSeconds(2), Map.of());
        assertTrue(o.timedOut(), o.toString());
        for (Path pidFile : List.of(child, escaped)) {
            assertTrue(Files.exists(pidFile), pidFile + " started");
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            Optional<ProcessHandle> h = ProcessHandle.of(pid);
            long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (h.isPresent() && h.get().isAlive() && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            assertFalse(h.isPresent() && h.get().isAlive(), pidFile + ": process " + pid + " survived the check's time-out");
        }
    }
}
