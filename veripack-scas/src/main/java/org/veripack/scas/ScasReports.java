package org.veripack.scas;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.veripack.core.AtomicFile;
import org.veripack.scas.internal.HtmlReport;
import org.veripack.scas.internal.JsonReport;
import org.veripack.scas.internal.JunitReport;

/**
 * Writes a {@link ScasReport} in the three forms a lab needs: {@code report.html} (self-contained, inline CSS,
 * no external resource, every untrusted text escaped), {@code junit.xml} (one testcase per case; NOT_RUN as
 * skipped) and {@code report.json}. Each file is written to a temporary name and renamed into place.
 */
public final class ScasReports {
    public static final String HTML = "report.html";
    public static final String JUNIT = "junit.xml";
    public static final String JSON = "report.json";

    private ScasReports() { }

    /** Writes the three files into {@code dir} (created if missing). @throws IOException on write failure */
    public static void writeAll(ScasReport report, Path dir) throws IOException {
        Files.createDirectories(dir);
        write(dir.resolve(HTML), HtmlReport.render(report));
        write(dir.resolve(JUNIT), JunitReport.render(report));
        write(dir.resolve(JSON), JsonReport.render(report));
    }

    private static void write(Path target, String content) throws IOException {
        AtomicFile.write(target, content.getBytes(StandardCharsets.UTF_8));
    }
}
