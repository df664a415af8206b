package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.cli.SignVerifyCommandTest.Run;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CsarSigner;
import org.veripack.node.internal.Failpoints;

/**
 * An unexpected internal error (here an {@link OutOfMemoryError} injected by the test-only failpoint
 * {@code install.staging-created:oom}) during {@code install}: exit 3 with one line on stderr and no stack
 * trace, the stack trace only with {@code VERIPACK_DEBUG=1}, the attempt in the audit log
 * ({@code install.failed}, verdict {@code ERROR}) and the active version unchanged.
 */
class InternalErrorTest {
    @TempDir Path dir;
    private Path anchor;
    private Path node;
    private Path v2;

    @BeforeEach
    void nodeWithAnActiveVersion() throws Exception {
        Issued root = TestPki.cert("CN=Internal Error Root,O=Acme").ca(true).build();
        Issued leaf = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(root).build();
        anchor = dir.resolve("root.pem");
        TestPki.writeCertificatesPem(anchor, root.certificate());
        Path tree = Files.createDirectories(dir.resolve("tree/bin"));
        Files.writeString(tree.resolve("prog"), "#!/bin/sh\n");
        Path v1 = dir.resolve("v1.csar");
        v2 = dir.resolve("v2.csar");
        CsarSigner.builder(leaf.identity()).name("acme-mme").version("1.0").build().writeOption1(dir.resolve("tree"), v1);
        CsarSigner.builder(leaf.identity()).name("acme-mme").version("1.1").build().writeOption1(dir.resolve("tree"), v2);
        node = dir.resolve("node");
        Run trust = SignVerifyCommandTest.run("trust", "set", "--root", node.toString(), "--trust", anchor.toString());
        assertEquals(ExitCode.OK, trust.exit(), trust.err());
        Run r = SignVerifyCommandTest.run("install", "--root", node.toString(), v1.toString());
        assertEquals(ExitCode.OK, r.exit(), r.err());
    }

    private String active() throws Exception {
        return Files.readSymbolicLink(node.resolve("current")).toString();
    }

    private JsonNode lastEvent() throws Exception {
        List<String> lines = Files.readAllLines(node.resolve("audit/events.jsonl"));
        return new ObjectMapper().readTree(lines.get(lines.size() - 1));
    }

    private void assertFailureAudited(int linesBefore) throws Exception {
        assertEquals(linesBefore + 1, Files.readAllLines(node.resolve("audit/events.jsonl")).size(), "one event for the attempt");
        JsonNode e = lastEvent();
        assertEquals("install.failed", e.get("event").asText());
        assertEquals("ERROR", e.get("verdict").asText());
        assertEquals("[]", e.get("findings").toString());
    }

    @Test
    void inProcessTheErrorIsOneLineExit3AuditedAndTheActiveVersionStays() throws Exception {
        String active = active();
        int lines = Files.readAllLines(node.resolve("audit/events.jsonl")).size();
        Failpoints.armForTest("install.staging-created:oom");
        Run r;
        try {
            r = SignVerifyCommandTest.run("install", "--root", node.toString(), v2.toString());
        } finally {
            Failpoints.armForTest(null);
        }
        assertEquals(ExitCode.IO, r.exit(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("veripack: internal error: out of memory"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        assertEquals(active, active());
        assertFailureAudited(lines);
    }

    private record Proc(int exit, String err) { }

    private Proc forked(boolean debug) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-D" + Failpoints.PROPERTY + "=install.staging-created:oom",
                "-cp", System.getProperty("java.class.path"), "org.veripack.cli.Main",
                "install", "--root", node.toString(), v2.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().remove(Main.DEBUG_VARIABLE);
        if (debug) {
            pb.environment().put(Main.DEBUG_VARIABLE, "1");
        }
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        return new Proc(p.exitValue(), err);
    }

    @Test
    void theProcessPrintsOneLineAndTheDebugSwitchAddsTheStackTrace() throws Exception {
        String active = active();
        int lines = Files.readAllLines(node.resolve("audit/events.jsonl")).size();
        Proc plain = forked(false);
        assertEquals(ExitCode.IO, plain.exit(), plain.err());
        assertEquals(1, plain.err().lines().count(), plain.err());
        assertTrue(plain.err().contains("VERIPACK_DEBUG=1"), plain.err());
        assertEquals(active, active());
        assertFailureAudited(lines);

        Proc debug = forked(true);
        assertEquals(ExitCode.IO, debug.exit(), debug.err());
        assertTrue(debug.err().lines().findFirst().orElse("").startsWith("veripack: internal error: out of memory"), debug.err());
        assertTrue(debug.err().contains("\tat org.veripack.node.internal.Failpoints.hit"), debug.err());
        assertEquals(active, active());
        assertFailureAudited(lines + 1);
    }
}
