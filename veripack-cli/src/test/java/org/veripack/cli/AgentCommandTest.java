package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.cli.SignVerifyCommandTest.Run;
import org.veripack.core.pki.TestPki;

/** {@code veripack agent}'s refusals before it runs: one line, exit 2, nothing started. */
class AgentCommandTest {
    @TempDir Path dir;

    private Path node() throws Exception {
        Path anchor = dir.resolve("root.pem");
        TestPki.writeCertificatesPem(anchor, TestPki.cert("CN=Agent CLI Root,O=Acme").ca(true).build().certificate());
        Path node = dir.resolve("node");
        assertEquals(ExitCode.OK, SignVerifyCommandTest.run("trust", "set", "--root", node.toString(), "--trust", anchor.toString()).exit());
        return node;
    }

    private static void assertOneLine(Run r) {
        assertEquals(ExitCode.USAGE, r.exit(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("veripack agent: "), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test
    void aBadOrUnprotectedConfigurationIsOneLineAndExit2() throws Exception {
        Path node = node();
        Path config = dir.resolve("agent.yaml");
        Files.writeString(config, "repository: {url: /srv/repo}\nmaintenanceWindows: [{days: Mon-Fri, hours: '02:00-04:00'}]\n");
        Run ok = SignVerifyCommandTest.run("agent", "--root", node.toString(), "--config", config.toString(), "--check-config");
        assertEquals(ExitCode.OK, ok.exit(), ok.err());
        assertTrue(ok.out().startsWith("ok: repository /srv/repo"), ok.out());
        assertTrue(ok.out().contains("every 1h + up to 5m, windows Mon-Fri 02:00-04:00 ("), ok.out());
        assertTrue(ok.out().contains("verify-installed every 1h ") && ok.out().contains("metrics 127.0.0.1:9850,"), ok.out());

        Files.writeString(config, "repository: {url: /srv/repo}\nintervall: 1h\n");
        Run typo = SignVerifyCommandTest.run("agent", "--root", node.toString(), "--config", config.toString());
        assertOneLine(typo);
        assertTrue(typo.err().contains("unknown key intervall"), typo.err());

        Files.writeString(config, "repository: {url: /srv/repo}\nmaintenanceWindows: [{days: Mon-Fri, hours: '2-4'}]\n");
        assertOneLine(SignVerifyCommandTest.run("agent", "--root", node.toString(), "--config", config.toString(), "--check-config"));

        Files.writeString(config, "repository: {url: /srv/repo}\n");
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-rw-rw-"));
        Run unprotected = SignVerifyCommandTest.run("agent", "--root", node.toString(), "--config", config.toString());
        assertOneLine(unprotected);
        assertTrue(unprotected.err().contains("writable by group or others"), unprotected.err());
        assertEquals(1, unprotected.err().split(java.util.regex.Pattern.quote(config.toString()), -1).length - 1, "the path once: " + unprotected.err());

        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
        Files.writeString(config, "repository: {url: /srv/repo}\nhealthCheck: {command: [/nonexistent/hc]}\n");
        Run noProgram = SignVerifyCommandTest.run("agent", "--root", node.toString(), "--config", config.toString(), "--check-config");
        assertOneLine(noProgram);
        assertTrue(noProgram.err().contains("healthCheck.command: no such program /nonexistent/hc"), noProgram.err());
        Path notExecutable = Files.writeString(dir.resolve("stop.sh"), "#!/bin/sh\n");
        Files.writeString(config, "repository: {url: /srv/repo}\nonTamper: {action: stop, stopCommand: [" + notExecutable + "]}\n");
        Run notExec = SignVerifyCommandTest.run("agent", "--root", node.toString(), "--config", config.toString(), "--check-config");
        assertOneLine(notExec);
        assertTrue(notExec.err().contains("onTamper.stopCommand: " + notExecutable + " is not executable"), notExec.err());

        Files.writeString(config, "repository: {url: /srv/repo}\nmaintenanceWindows: []\n");
        Run noWindow = SignVerifyCommandTest.run("agent", "--root", node.toString(), "--config", config.toString(), "--check-config");
        assertOneLine(noWindow);
        assertTrue(noWindow.err().contains("maintenanceWindows: an empty list"), noWindow.err());

        // a valid configuration on a node that pinned no repository root: every poll would fail; refused at start
        Files.writeString(config, "repository: {url: /srv/repo}\nhealthCheck: {command: [/bin/true]}\nmetrics: {address: off}\n");
        Run unpinned = SignVerifyCommandTest.run("agent", "--root", node.toString(), "--config", config.toString());
        assertOneLine(unpinned);
        assertTrue(unpinned.err().contains("no repository root pinned"), unpinned.err());

        Run missing = SignVerifyCommandTest.run("agent", "--root", node.toString(), "--config", dir.resolve("none.yaml").toString());
        assertOneLine(missing);
        assertFalse(Files.exists(node.resolve("state/agent")), "nothing started");
    }
}
