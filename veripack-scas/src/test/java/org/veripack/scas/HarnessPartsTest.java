package org.veripack.scas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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

    /**
     * A node policy that turns a check off makes the case testing it meaningless: a correct node accepts it by
     * configuration, so it is NOT_RUN with the reason, never a FAIL. The node's policy is its trust store
     * ({@code NODE/config/policy.yaml}); the policy derived from it for the test-CA cases authorises the
     * harness's test signers where the node's {@code signers:} map lists the package. (The node is driven by
     * {@code /bin/false}: only the harness's own decisions are looked at here.)
     */
    @Test
    void nodePolicyThatDisablesACheckMakesItsCaseNotRunAndTestSignersAreAuthorised() throws IOException {
        GenuineCsar vendor = new GenuineCsar(Instant.now());
        Path genuine = vendor.write(dir.resolve("acme-mme-2.0.csar"), "2.0");
        Path old = vendor.write(dir.resolve("acme-mme-1.0.csar"), "1.0");
        vendor.writeAnchor(dir.resolve("acme-root.pem"));
        Path policy = Files.writeString(dir.resolve("policy.yaml"), "trustAnchors: [acme-root.pem]\n");
        Path store = Files.createDirectories(dir.resolve("node/config"));
        vendor.writeAnchor(store.resolve("acme-root.pem"));
        Files.writeString(store.resolve("policy.yaml"), "trustAnchors: [acme-root.pem]\n"
                + "requireCodeSigningEku: false\nantiRollback: false\n"
                + "signers:\n  acme-mme: [\"CN=Acme Code Signing,O=Acme\"]\n");
        Path out = dir.resolve("out");
        ScasReport r = ScasHarness.run(ScasConfig.builder().genuinePackage(genuine).downgradePackage(old)
                .policyFile(policy).target(new Target.Node(dir.resolve("node"), List.of("/bin/false"), List.of(), List.of()))
                .outDir(out).commandTimeout(Duration.ofSeconds(30)).build(), ScasHarness.KeyType.EC_P256);
        Map<String, CaseResult> byId = new java.util.HashMap<>();
        r.cases().forEach(c -> byId.put(c.id(), c));
        assertEquals(CaseVerdict.NOT_RUN, byId.get("TAMPER.resigned-non-code-signing-cert").verdict());
        assertTrue(byId.get("TAMPER.resigned-non-code-signing-cert").notRunReason().contains("requireCodeSigningEku"));
        assertEquals(CaseVerdict.NOT_RUN, byId.get("TAMPER.downgrade").verdict());
        assertTrue(byId.get("TAMPER.downgrade").notRunReason().contains("antiRollback"));
        assertTrue(byId.get("TAMPER.downgrade").preconditions().get(0).startsWith("precondition: "));
        JsonNode derived = new ObjectMapper(new YAMLFactory())
                .readTree(out.resolve("harness/node-policy-with-harness-test-ca.yaml").toFile());
        List<String> signers = new ArrayList<>();
        derived.at("/signers/acme-mme").forEach(n -> signers.add(n.asText()));
        assertEquals("CN=Acme Code Signing,O=Acme", signers.get(0));
        assertTrue(signers.contains("CN=Veripack SCAS Valid Test Signer,O=Veripack SCAS harness"), signers.toString());
        assertTrue(signers.contains("CN=Veripack SCAS Expired Signer,O=Veripack SCAS harness"), signers.toString());
        assertEquals(List.of(store.resolve("acme-root.pem").toString(), out.resolve("harness/harness-test-ca.pem").toString()),
                List.of(derived.get("trustAnchors").get(0).asText(), derived.get("trustAnchors").get(1).asText()));
        JsonNode saved = new ObjectMapper(new YAMLFactory()).readTree(out.resolve("harness/node-policy-saved.yaml").toFile());
        assertEquals(1, saved.get("trustAnchors").size(), "the saved copy restores the node's own anchors");
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
