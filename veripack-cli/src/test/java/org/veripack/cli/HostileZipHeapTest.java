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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.Limits;
import org.veripack.core.csar.HostileZips;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CsarSigner;

/**
 * The hostile zips of {@link HostileZips} through the real {@code veripack} process with the heap options
 * of the {@code ./veripack} launcher (read from the script, so the test follows it): each exits 1 with
 * {@code LIMIT_EXCEEDED}, or, just within the default limits, exits 1 for its other findings; never an
 * {@code OutOfMemoryError} or a stack trace. The 300 000-entry zip is also installed over an active package:
 * refused, the active version unchanged, the refusal in the audit log.
 */
class HostileZipHeapTest {
    @TempDir static Path dir;
    private static List<String> heap;
    private static Path anchor;
    private static Path genuine;

    @BeforeAll
    static void launcherHeapAndPki() throws Exception {
        String launcher = Files.readString(Path.of("../veripack"), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("^opts=\\(([^)]*)\\)", Pattern.MULTILINE).matcher(launcher);
        assertTrue(m.find(), "the launcher sets its JVM options in opts=(...)");
        heap = new ArrayList<>();
        for (String opt : m.group(1).trim().split("\\s+")) {
            if (opt.startsWith("-Xm") || opt.startsWith("-XX:+Use")) {
                heap.add(opt);
            }
        }
        assertTrue(heap.stream().anyMatch(o -> o.startsWith("-Xmx")), () -> "no -Xmx in the launcher's " + m.group(1));
        Issued root = TestPki.cert("CN=Heap Test Root,O=Acme").ca(true).build();
        Issued leaf = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(root).build();
        anchor = dir.resolve("root.pem");
        TestPki.writeCertificatesPem(anchor, root.certificate());
        Path tree = Files.createDirectories(dir.resolve("tree/bin"));
        Files.writeString(tree.resolve("prog"), "#!/bin/sh\necho ok\n");
        genuine = dir.resolve("acme-mme-1.0.csar");
        CsarSigner.builder(leaf.identity()).name("acme-mme").version("1.0").build().writeOption1(dir.resolve("tree"), genuine);
    }

    /** Exit code and output of one {@code veripack} process. */
    private record Proc(int exit, String out, String err) { }

    private static Proc veripack(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(heap);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.veripack.cli.Main"));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("veripack " + String.join(" ", args) + " did not finish");
        }
        return new Proc(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private static void assertNoCrash(Proc p) {
        assertFalse(p.err().contains("OutOfMemoryError") || p.err().contains("internal error"), p.err());
        assertFalse(p.err().contains("\tat ") || p.err().contains("Exception in thread"), p.err());
    }

    private static Proc verify(Path zip) throws Exception {
        Proc p = veripack("verify", "--trust", anchor.toString(), "--json", zip.toString());
        assertNoCrash(p);
        assertEquals(ExitCode.REJECTED, p.exit(), p.err());
        return p;
    }

    private static List<String> codes(JsonNode report) {
        List<String> codes = new ArrayList<>();
        report.path("findings").forEach(f -> codes.add(f.get("code").asText()));
        return codes;
    }

    private static void assertLimitExceeded(Path zip) throws Exception {
        Proc p = verify(zip);
        assertEquals(List.of("LIMIT_EXCEEDED"), codes(new ObjectMapper().readTree(p.out())), p.err());
    }

    @Test
    void threeHundredThousandEntriesAreRefusedByVerifyAndInstallWithTheActiveVersionKeptAndAudited() throws Exception {
        Path zip = HostileZips.emptyEntries(dir.resolve("300k.zip"), HostileZips.OVER_DEFAULT_ENTRIES);
        assertLimitExceeded(zip);
        Path node = dir.resolve("node");
        SignVerifyCommandTest.Run trust = SignVerifyCommandTest.run("trust", "set", "--root", node.toString(), "--trust", anchor.toString());
        assertEquals(ExitCode.OK, trust.exit(), trust.err());
        Proc first = veripack("install", "--root", node.toString(), genuine.toString());
        assertEquals(ExitCode.OK, first.exit(), first.err());
        String active = Files.readSymbolicLink(node.resolve("current")).toString();
        List<String> auditBefore = Files.readAllLines(node.resolve("audit/events.jsonl"));

        Proc p = veripack("install", "--root", node.toString(), "--json", zip.toString());
        assertNoCrash(p);
        assertEquals(ExitCode.REJECTED, p.exit(), p.err());
        assertEquals(List.of("LIMIT_EXCEEDED"), codes(new ObjectMapper().readTree(p.out()).path("report")));
        assertEquals(active, Files.readSymbolicLink(node.resolve("current")).toString(), "active version unchanged");
        List<String> audit = Files.readAllLines(node.resolve("audit/events.jsonl"));
        assertEquals(auditBefore.size() + 1, audit.size(), "one audit event for the attempt");
        JsonNode event = new ObjectMapper().readTree(audit.get(audit.size() - 1));
        assertEquals("install.rejected", event.get("event").asText());
        assertEquals("REJECTED", event.get("verdict").asText());
        assertEquals("[\"LIMIT_EXCEEDED\"]", event.get("findings").toString());
    }

    @Test
    void indexesThatLieOrClaimTooMuchAreRefused() throws Exception {
        assertLimitExceeded(HostileZips.endRecordUnderstatesEntries(dir.resolve("lie.zip"), HostileZips.OVER_DEFAULT_ENTRIES));
        assertLimitExceeded(HostileZips.declaredCentralDirectorySize(dir.resolve("cd.zip"), 1L << 62));
        assertLimitExceeded(HostileZips.zip64ClaimsEntries(dir.resolve("claims.zip"), 1L << 62));
        // 600 local extra fields of 32 000 bytes: 19.2 MB the zip library would keep, above the 16 MiB default
        assertLimitExceeded(HostileZips.localExtraFields(dir.resolve("extra.zip"), 600, 32_000));
    }

    @Test
    void theMostTheDefaultLimitsAllowFitsTheLaunchersHeap() throws Exception {
        long maxHeader = Limits.DEFAULT.maxHeaderBytes();
        // 100 000 entries (a manifest and 99 999 files named 100 bytes long: a 14.6 MB central directory),
        // the manifest as large as a small file may be (16 MiB) listing them with wrong digests, a bogus CMS block
        Path listed = HostileZips.listedInManifest(dir.resolve("listed.zip"), (int) Limits.DEFAULT.maxEntries() - 1, 100,
                (int) maxHeader);
        List<String> listedCodes = codes(new ObjectMapper().readTree(verify(listed).out()));
        assertFalse(listedCodes.contains("LIMIT_EXCEEDED"), listedCodes::toString);
        assertTrue(listedCodes.contains("SIGNATURE_INVALID"), listedCodes::toString);
        // local extra fields just below the header limit: 520 x 32 000 bytes = 16.6 MB
        Path extra = HostileZips.localExtraFields(dir.resolve("extra-under.zip"), 520, 32_000);
        List<String> extraCodes = codes(new ObjectMapper().readTree(verify(extra).out()));
        assertFalse(extraCodes.contains("LIMIT_EXCEEDED"), extraCodes::toString);
    }
}
