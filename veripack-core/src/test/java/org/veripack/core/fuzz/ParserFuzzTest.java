package org.veripack.core.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.veripack.core.PackageVerifier;
import org.veripack.core.PolicyException;
import org.veripack.core.TrustPolicy;
import org.veripack.core.TrustPolicyLoader;
import org.veripack.core.Verdict;
import org.veripack.core.VerificationReport;
import org.veripack.core.internal.cms.CmsSignatureVerifier;
import org.veripack.core.internal.cms.SignatureCheckResult;
import org.veripack.core.internal.manifest.Manifest;
import org.veripack.core.internal.manifest.ManifestParser;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;

/**
 * Issue 5 item 4: Jazzer fuzz targets for the four parsers that read untrusted bytes. In a normal
 * {@code mvn verify} (no {@code JAZZER_FUZZ}) each target runs only over its stored inputs in
 * {@code src/test/resources/org/veripack/core/fuzz/ParserFuzzTestInputs/<method>/} (seeds plus every
 * regression input found so far). {@code scripts/fuzz.sh MINUTES} fuzzes each target; see
 * {@code scripts/FUZZING.md}.
 *
 * <p>The contract checked: bad input is a verdict or a declared exception, never a crash, a hang or an
 * undeclared exception ({@code RuntimeException}, {@code Error}, {@code IOException} for content).
 */
class ParserFuzzTest {
    private static final Instant NOW = TestPki.DEFAULT_NOW;
    private static final Issued ROOT = TestPki.cert("CN=Fuzz Root").ca(true).build();
    private static final TrustPolicy POLICY = TrustPolicy.withAnchors(List.of(ROOT.certificate()));
    private static final byte[] CONTENT = "the signed content\n".getBytes(StandardCharsets.US_ASCII);

    private static Path dir;
    private static Path csar;
    private static Path policyFile;

    @BeforeAll
    static void createWorkDirectory() throws IOException {
        dir = Files.createTempDirectory("veripack-fuzz-");
        csar = dir.resolve("input.csar");
        policyFile = dir.resolve("policy.yaml");
        TestPki.writeCertificatesPem(dir.resolve("root.pem"), ROOT.certificate());
    }

    @AfterAll
    static void deleteWorkDirectory() throws IOException {
        for (Path p : List.of(csar, policyFile, dir.resolve("root.pem"), dir)) {
            Files.deleteIfExists(p);
        }
    }

    /** CSAR reader + whole verification: any bytes give a report; only a genuine package is ACCEPTED. */
    @FuzzTest(maxDuration = "10m")
    void csarReader(byte[] input) throws IOException {
        Files.write(csar, input);
        VerificationReport r = PackageVerifier.create(POLICY, Clock.fixed(NOW, ZoneOffset.UTC)).verifyCsar(csar);
        assertNotNull(r.verdict());
        // the fuzzer does not hold the signing key: an ACCEPTED verdict would be a forgery
        assertEquals(Verdict.REJECTED, r.verdict(), r::toString);
    }

    /** SOL004 manifest parser: any bytes give a manifest with findings, never an exception. */
    @FuzzTest(maxDuration = "10m")
    void manifestParser(byte[] input) {
        Manifest m = ManifestParser.parse(input);
        assertNotNull(m.findings());
        assertNotNull(m.artifacts());
        assertNotNull(m.identity()); // the metadata precedence runs on whatever the block holds
    }

    /** CMS SignedData parsing and verification over fixed content: findings, never an exception. */
    @FuzzTest(maxDuration = "10m")
    void cmsSignature(byte[] input) {
        try {
            SignatureCheckResult r = CmsSignatureVerifier.verify(input, () -> new ByteArrayInputStream(CONTENT),
                    List.of(), POLICY, NOW);
            assertNotNull(r.findings());
            assertEquals(false, r.valid(), "a fuzzed signature verified against the fuzz root");
        } catch (IOException e) {
            throw new UncheckedIOException("the in-memory content cannot fail to read", e);
        }
    }

    /** Trust policy YAML loader: a policy or a {@link PolicyException}, nothing else. */
    @FuzzTest(maxDuration = "10m")
    void trustPolicy(byte[] input) throws IOException {
        Files.write(policyFile, input);
        try {
            assertNotNull(TrustPolicyLoader.load(policyFile));
        } catch (PolicyException expected) {
            // declared: invalid or unsafe policy (CLI exit code 2)
        }
    }
}
