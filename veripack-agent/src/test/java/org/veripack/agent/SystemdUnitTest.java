package org.veripack.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dist/systemd/veripack-agent.service}: {@code systemd-analyze verify} accepts it (with ExecStart pointing at
 * this checkout's launcher, since verify checks that the program exists), and its sandbox keeps what installing
 * needs: the file system read-only except the node root that ExecStart names. Skipped, saying so, without
 * systemd-analyze.
 */
class SystemdUnitTest {
    private static final Path REPO = Path.of(System.getProperty("veripack.repo", ".."));
    private static final Path UNIT = REPO.resolve("dist/systemd/veripack-agent.service");
    private static final Path ANALYZE = Path.of("/usr/bin/systemd-analyze");

    @TempDir
    Path tmp;

    @Test
    void theUnitVerifiesAndItsSandboxLeavesOnlyTheNodeRootWritable() throws Exception {
        String unit = Files.readString(UNIT);
        Matcher exec = Pattern.compile("(?m)^ExecStart=(\\S+) agent --root (\\S+) --config (\\S+)$").matcher(unit);
        assertTrue(exec.find(), "ExecStart runs veripack agent --root NODE --config FILE");
        assertTrue(unit.contains("\nReadWritePaths=" + exec.group(2) + "\n"), "the node root, and only it, is writable");
        for (String line : new String[] {"ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes", "ProtectHome=yes",
                "ExecReload=/bin/kill -HUP $MAINPID"}) {
            assertTrue(unit.contains("\n" + line + "\n"), line);
        }
        assertTrue(Pattern.compile("(?m)^CapabilityBoundingSet=CAP_").matcher(unit).find(), "a bounded capability set");

        assumeTrue(Files.isExecutable(ANALYZE), "systemd-analyze is not installed (Debian package systemd)");
        Path launcher = REPO.resolve("veripack").toAbsolutePath();
        assertEquals("", verify(unit.replace(exec.group(1) + " agent", launcher + " agent")), "systemd-analyze verify");
        // the check can fail: a misspelt sandbox value is reported
        assertNotEquals("", verify(unit.replace(exec.group(1) + " agent", launcher + " agent").replace("ProtectSystem=strict", "ProtectSystem=strictest")));
    }

    /** systemd-analyze verify's complaints about {@code unit} (empty when it has none). */
    private String verify(String unit) throws Exception {
        Path dir = Files.createTempDirectory(tmp, "unit");
        Path file = dir.resolve("veripack-agent.service");
        Files.writeString(file, unit);
        Process p = new ProcessBuilder(ANALYZE.toString(), "verify", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return p.exitValue() == 0 && out.isBlank() ? "" : "exit " + p.exitValue() + ": " + out;
    }
}
