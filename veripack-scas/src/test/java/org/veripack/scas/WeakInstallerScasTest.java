package org.veripack.scas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

/**
 * The harness against a deliberately weak installer (test resource {@code weak-installer.sh}: unzips
 * whatever it gets, checks nothing): the valid case passes, every tamper case that runs FAILs with
 * evidence that the installer accepted it, and the HTML report renders in headless Chromium.
 */
class WeakInstallerScasTest {
    @TempDir static Path dir;
    static ScasReport report;
    static Path out;

    @BeforeAll
    static void runHarnessAgainstWeakInstaller() throws IOException {
        GenuineCsar vendor = new GenuineCsar(Instant.now());
        Path genuine = vendor.write(dir.resolve("acme-mme-2.0.csar"), "2.0");
        Path old = vendor.write(dir.resolve("acme-mme-1.0.csar"), "1.0");
        Path anchor = vendor.writeAnchor(dir.resolve("acme-root.pem"));
        Path installer = dir.resolve("weak-installer.sh");
        try (InputStream in = WeakInstallerScasTest.class.getResourceAsStream("weak-installer.sh")) {
            Files.copy(in, installer);
        }
        Files.setPosixFilePermissions(installer, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path root = Files.createDirectories(dir.resolve("weak-root"));
        String sh = installer + " ";
        out = dir.resolve("out");
        Target.Command target = new Target.Command(sh + "install " + root + " {package}", sh + "status " + root,
                sh + "run " + root, null);
        ScasConfig config = ScasConfig.builder().genuinePackage(genuine).downgradePackage(old)
                .trustAnchors(List.of(anchor)).target(target).outDir(out).protectedPaths(List.of(installer))
                .commandTimeout(Duration.ofSeconds(60)).build();
        report = ScasHarness.run(config, ScasHarness.KeyType.EC_P256);
        ScasReports.writeAll(report, out);
    }

    private static CaseResult get(String id) {
        return report.cases().stream().filter(c -> c.id().equals(id)).findFirst().orElseThrow(() -> new AssertionError(id));
    }

    @Test
    void validPackageInstallsAndRuns() {
        assertEquals(CaseVerdict.PASS, get("TC_SW_PKG_INTEGRITY_1.step2.valid-package").verdict());
    }

    @Test
    void everyTamperCaseFailsWithEvidenceThatTheInstallerAcceptedIt() {
        List<String> wrong = new ArrayList<>();
        List<CaseResult> tamper = report.cases().stream().filter(c -> c.id().startsWith("TAMPER.")).toList();
        assertEquals(15, tamper.size());
        for (CaseResult c : tamper) {
            boolean accepted = "0".equals(c.evidence().get("install exit code")) && c.actual().contains("ACCEPTED");
            boolean stateChanged = !c.evidence().get("active before").equals(c.evidence().get("active after"));
            if (c.verdict() != CaseVerdict.FAIL || !accepted || !stateChanged || c.steps().size() < 3) {
                wrong.add(c.id() + " " + c.verdict() + " " + c.evidence());
            }
        }
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
        assertEquals(CaseVerdict.FAIL, get("TC_SW_PKG_INTEGRITY_1.step2.invalid-packages").verdict());
    }

    @Test
    void unauthorisedUserStepIsNotRunWithReasonWithoutWrapper() {
        CaseResult c = get("TC_SW_PKG_INTEGRITY_1.step1.unauthorised-user");
        assertEquals(CaseVerdict.NOT_RUN, c.verdict());
        assertTrue(c.notRunReason().contains("--as-user"));
        assertEquals(1, report.exitCode());
    }

    @Test
    void stepsRecordTheExactCommandsRun() {
        CommandRecord install = get("TAMPER.artifact-added").steps().get(1);
        assertEquals("/bin/sh", install.argv().get(0));
        assertTrue(install.argv().get(2).contains("variants/artifact-added.csar"), install.argv().toString());
    }

    @Test
    void junitAndJsonCarryTheSameCounts() throws Exception {
        Document x = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(out.resolve("junit.xml").toFile());
        assertEquals(String.valueOf(report.count(CaseVerdict.FAIL)), x.getDocumentElement().getAttribute("failures"));
        assertEquals(String.valueOf(report.count(CaseVerdict.NOT_RUN)), x.getDocumentElement().getAttribute("skipped"));
        assertEquals(report.cases().size(), x.getElementsByTagName("testcase").getLength());
        JsonNode j = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        assertEquals(report.count(CaseVerdict.FAIL), j.at("/summary/FAIL").asLong());
        assertEquals(report.count(CaseVerdict.PASS), j.at("/summary/PASS").asLong());
        assertEquals("FAIL", j.at("/cases/3/verdict").asText());
    }

    @Test
    void htmlIsSelfContained() throws IOException {
        String html = Files.readString(out.resolve("report.html"));
        assertFalse(Pattern.compile("(?i)<(script|link|img|iframe)|src=|https?://").matcher(html).find());
    }

    @Test
    void htmlReportRendersInHeadlessChromiumWithTheSummaryCounts() throws Exception {
        String chromium = Chromium.find();
        Assumptions.assumeTrue(chromium != null, "chromium is not installed (Debian package 'chromium'; .ci/run installs it)");
        Path profile = Files.createTempDirectory(dir, "chromium-profile");
        Process p = new ProcessBuilder(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--user-data-dir=" + profile, "--dump-dom", out.resolve("report.html").toUri().toString())
                .redirectError(dir.resolve("chromium.err").toFile()).start();
        byte[] dom = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
        assertEquals(0, p.exitValue(), Files.readString(dir.resolve("chromium.err")));
        String text = renderedText(new String(dom, StandardCharsets.UTF_8));
        for (CaseVerdict v : CaseVerdict.values()) {
            assertTrue(text.contains(v + " " + report.count(v)), v + " count missing in rendered summary: " + text);
        }
        assertTrue(text.contains("TOTAL " + report.cases().size()));
    }

    /** The rendered summary table's text: cells joined by single spaces. */
    private static String renderedText(String dom) {
        Matcher m = Pattern.compile("(?s)<table id=\"summary\">(.*?)</table>").matcher(dom);
        assertTrue(m.find(), "no summary table in the DOM chromium rendered");
        return m.group(1).replaceAll("<[^>]+>", " ").replaceAll("\\s+", " ").trim();
    }
}
