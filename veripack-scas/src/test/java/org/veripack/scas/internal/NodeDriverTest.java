package org.veripack.scas.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.scas.CommandRecord;
import org.veripack.scas.Target;

/** The node driver reads finding codes from the {@code install --json} report, not from what the text mentions. */
class NodeDriverTest {
    @TempDir
    Path dir;

    /**
     * A stand-in for {@code veripack}: {@code install} prints a report whose artifacts come first and fill more than a
     * report excerpt (as a large package's do), then its one finding DIGEST_MISMATCH; its human text on stderr names
     * another code. Exit 1, as a refused install.
     */
    private Path fakeVeripack() throws IOException {
        StringBuilder artifacts = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            artifacts.append(i == 0 ? "" : ",").append("{\"path\":\"Files/lib/module-").append(i)
                    .append(".so\",\"digest\":\"").append("ab".repeat(32)).append("\"}");
        }
        Path json = dir.resolve("report.json");
        Files.writeString(json, "{\"outcome\":\"REJECTED\",\"report\":{\"verdict\":\"REJECTED\",\"artifacts\":[" + artifacts
                + "],\"findings\":[{\"code\":\"DIGEST_MISMATCH\",\"subject\":\"Files/bin/mmed\"}]}}\n");
        Path script = dir.resolve("veripack");
        Files.writeString(script, "#!/bin/sh\ncase \"$1\" in install)\n  cat '" + json + "'\n"
                + "  echo 'REJECTED: not SIGNER_UNTRUSTED, not CERT_EXPIRED: DIGEST_MISMATCH in the text too' >&2\n  exit 1;;\n"
                + "esac\nexit 0\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    @Test
    void findingCodesComeFromTheJsonReportBeyondTheExcerpt() throws IOException {
        Path root = dir.resolve("node");
        Files.createDirectories(root);
        NodeDriver driver = new NodeDriver(new Target.Node(root, List.of(fakeVeripack().toString()), List.of(), List.of()),
                new ProcessRunner(Duration.ofSeconds(30), null), List.of(), dir.resolve("ca.pem"), null, List.of(), dir);
        CommandRecord r = driver.install("install tampered package", dir.resolve("x.csar"), false, null);
        assertEquals(1, r.exitCode());
        assertTrue(r.argv().contains("--json"), r.argv().toString());
        assertTrue(r.stdoutExcerpt().length() <= ProcessRunner.EXCERPT_BYTES && r.truncatedBytes() > 0,
                "the report's excerpt is bounded; the codes were read from the whole document");
        assertEquals(Optional.of(List.of("DIGEST_MISMATCH")), driver.findingCodes(r));
        assertEquals("DIGEST_MISMATCH", CaseResults.codesText(driver, r));
    }

    @Test
    void anInstallThatPrintedNoReportReportedNoCodes() {
        NodeDriver driver = new NodeDriver(new Target.Node(dir, List.of("/bin/false"), List.of(), List.of()),
                new ProcessRunner(Duration.ofSeconds(30), null), List.of(), dir.resolve("ca.pem"), null, List.of(), dir);
        CommandRecord r = driver.install("install", dir.resolve("x.csar"), false, null);
        assertEquals(Optional.of(List.of()), driver.findingCodes(r));
        assertEquals(Optional.empty(), driver.unauthorisedExitProblem(4));
        assertTrue(driver.unauthorisedExitProblem(r.exitCode()).isPresent());
    }
}
