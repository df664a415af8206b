package org.veripack.scas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.scas.internal.AccessControlCheck;
import org.veripack.scas.internal.HtmlReport;
import org.veripack.scas.internal.JunitReport;
import org.veripack.scas.internal.ProcessRunner;

/** Process running, access-control inspection and escaping of untrusted text in the reports. */
class HarnessPartsTest {
    @TempDir Path dir;

    @Test
    void commandThatHangsIsKilledAtTheTimeout() {
        CommandRecord r = new ProcessRunner(Duration.ofMillis(300), null).run("hang", List.of("/bin/sh", "-c", "sleep 30"));
        assertTrue(r.timedOut());
        assertEquals(-1, r.exitCode());
        assertTrue(r.durationMillis() < 10_000);
    }

    @Test
    void floodingOutputIsBoundedAndCounted() {
        CommandRecord r = new ProcessRunner(Duration.ofSeconds(30), null)
                .run("flood", List.of("/bin/sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' x; echo err >&2; exit 7"));
        assertEquals(7, r.exitCode());
        assertEquals(ProcessRunner.EXCERPT_BYTES, r.stdoutExcerpt().length());
        assertEquals(1_000_000 - ProcessRunner.EXCERPT_BYTES, r.truncatedBytes());
        assertEquals("err\n", r.stderrExcerpt());
    }

    @Test
    void missingExecutableIsARecordNotAnException() {
        CommandRecord r = new ProcessRunner(Duration.ofSeconds(5), null).run("x", List.of(dir.resolve("nope").toString()));
        assertEquals(-1, r.exitCode());
        assertTrue(r.stderrExcerpt().startsWith("cannot start"));
    }

    @Test
    void shellQuotingSurvivesHostileFileNames() throws IOException {
        String hostile = "a b'$(touch " + dir.resolve("pwned") + ")'.csar";
        CommandRecord r = new ProcessRunner(Duration.ofSeconds(5), null)
                .run("quote", List.of("/bin/sh", "-c", "printf %s " + CommandRecord.shellQuote(hostile)));
        assertEquals(hostile, r.stdoutExcerpt());
        assertFalse(Files.exists(dir.resolve("pwned")));
    }

    @Test
    void worldWritableTrustAnchorIsAProblem() throws IOException {
        Path ok = Files.writeString(dir.resolve("ok.pem"), "x");
        Files.setPosixFilePermissions(ok, PosixFilePermissions.fromString("rw-r--r--"));
        Path bad = Files.writeString(dir.resolve("bad.pem"), "x");
        Files.setPosixFilePermissions(bad, PosixFilePermissions.fromString("rw-rw-rw-"));
        List<AccessControlCheck.Observation> p = AccessControlCheck.problems(AccessControlCheck.inspect(List.of(ok, bad)));
        assertEquals(1, p.size());
        assertEquals(bad, p.get(0).path());
    }

    @Test
    void untrustedTextIsEscapedInHtmlAndXml() {
        String evil = "<script>alert(1)</script>\"'&\u0001";
        CommandRecord step = new CommandRecord("install", List.of("/bin/sh", "-c", "x"), 0, false, evil, evil, 0, 1);
        CaseResult c = new CaseResult("TAMPER.x", evil, evil, List.of(evil), List.of(step), "refused", evil,
                Map.of(evil, evil), CaseVerdict.FAIL, null);
        ScasReport r = new ScasReport("v", Instant.EPOCH, Instant.EPOCH, "h", "u", "cmd", evil, evil, "00", evil, evil,
                List.of(c));
        String html = HtmlReport.render(r);
        String xml = JunitReport.render(r);
        for (String s : List.of(html, xml)) {
            assertFalse(s.contains("<script>"));
            assertFalse(s.contains("\u0001"));
            assertTrue(s.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"));
        }
    }
}
