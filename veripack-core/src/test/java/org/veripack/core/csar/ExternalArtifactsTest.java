package org.veripack.core.csar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.ArtifactFetcher;
import org.veripack.core.ArtifactRecord;
import org.veripack.core.ArtifactSink;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.Limits;
import org.veripack.core.PackageRejectedException;
import org.veripack.core.PackageVerifier;
import org.veripack.core.ReportFormat;
import org.veripack.core.SignedManifest;
import org.veripack.core.TrustPolicy;
import org.veripack.core.Verdict;
import org.veripack.core.VerificationReport;

/**
 * External artifacts (docs/signed-metadata.md "External artifacts"): a manifest {@code Source} that is a URI, against
 * a real HTTP server on 127.0.0.1 serving right bytes, wrong bytes, an endless body, a drip-fed body, silence, a
 * 404 and a short body. REJECTED {@code ARTIFACT_EXTERNAL} by default without a request; under
 * {@code externalArtifacts: fetch} hashed while downloading, within the size and time bounds.
 */
class ExternalArtifactsTest {
    @TempDir Path tmp;
    private ArtifactServer server;

    private static final byte[] IMAGE = "a VM image the vendor published\n".repeat(1000).getBytes(StandardCharsets.UTF_8);
    private static final TrustPolicy.FetchTimeouts FAST = new TrustPolicy.FetchTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(2),
            Duration.ofSeconds(5));

    @BeforeEach
    void start() throws Exception {
        server = new ArtifactServer();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static TrustPolicy.Builder fetching() {
        return Fixtures.policy().toBuilder().externalArtifacts(TrustPolicy.ExternalArtifacts.FETCH)
                .externalArtifactHttpHosts(List.of("127.0.0.1")).externalArtifactTimeouts(FAST);
    }

    private static PackageVerifier verifier(TrustPolicy policy) {
        return PackageVerifier.create(policy, Fixtures.CLOCK);
    }

    /** A signed package with one file and one external artifact at {@code uri} whose signed digest is IMAGE's. */
    private Path csar(String uri) throws Exception {
        return new ExternalCsar().file("Files/app.conf", "plmn: 00101\n", 0644).external(uri, IMAGE)
                .write(Files.createTempFile(tmp, "ext", ".csar"), Fixtures.LEAF.identity(Fixtures.CA.certificate()), Fixtures.CLOCK,
                        "acme-mme", "2.1");
    }

    private static Set<FindingCode> codes(VerificationReport r) {
        return r.findings().stream().map(Finding::code).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Finding only(VerificationReport r, FindingCode code) {
        assertEquals(Set.of(code), codes(r), r::toString);
        return r.findings().get(0);
    }

    @Test
    void byDefaultAnExternalArtifactIsRejectedWithoutARequest() throws Exception {
        String uri = server.serve("images/disk.img", IMAGE);
        VerificationReport r = Fixtures.verifier().verifyCsar(csar(uri));
        Finding f = only(r, FindingCode.ARTIFACT_EXTERNAL);
        assertEquals(uri, f.subject()); // the URI verbatim, not a mangled path
        assertTrue(f.detail().contains("externalArtifacts"), f::toString);
        assertEquals(0, server.totalHits());
        // install refuses it the same way
        PackageRejectedException e = assertThrows(PackageRejectedException.class,
                () -> Fixtures.verifier().verifyAndExtract(csar(uri), ArtifactSink.DISCARD));
        assertEquals(Set.of(FindingCode.ARTIFACT_EXTERNAL), codes(e.report()));
        assertEquals(0, server.totalHits());
    }

    @Test
    void withFetchTheRightBytesAreAcceptedAndReportedWithTheirUri() throws Exception {
        String uri = server.serve("images/disk.img", IMAGE);
        VerificationReport r = verifier(fetching().build()).verifyCsar(csar(uri));
        assertEquals(Verdict.ACCEPTED, r.verdict(), r::toString);
        assertEquals(1, server.hits("images/disk.img"));
        ArtifactRecord a = r.artifacts().stream().filter(x -> uri.equals(x.source())).findFirst().orElseThrow();
        int port = Integer.parseInt(uri.replaceAll("^http://127\\.0\\.0\\.1:(\\d+)/.*$", "$1"));
        assertEquals("External/127.0.0.1_" + port + "/images/disk.img", a.path());
        assertEquals(IMAGE.length, a.sizeBytes());
        assertEquals(ExternalCsar.sha256(IMAGE), a.digestHex());
        assertEquals(0644, a.mode());
        assertTrue(ReportFormat.toJson(r).contains("\"source\" : \"" + uri + "\""), ReportFormat.toJson(r));
        assertNull(r.artifacts().stream().filter(x -> x.path().equals("Files/app.conf")).findFirst().orElseThrow().source());
    }

    @Test
    void installWritesTheFetchedBytesIntoTheSinkInTheSamePass() throws Exception {
        String uri = server.serve("images/disk.img", IMAGE);
        RecordingSink sink = new RecordingSink();
        var verified = verifier(fetching().build()).verifyAndExtract(csar(uri), sink);
        String path = verified.artifacts().stream().filter(x -> uri.equals(x.source())).findFirst().orElseThrow().path();
        assertTrue(java.util.Arrays.equals(IMAGE, sink.files.get(path).toByteArray()));
        assertTrue(sink.directories.containsAll(List.of("External", path.substring(0, path.lastIndexOf('/')))), sink.directories::toString);
        assertEquals(1, server.hits("images/disk.img"));
    }

    @Test
    void wrongBytesAreDigestMismatch() throws Exception {
        String uri = server.serve("images/disk.img", "not the published image".getBytes(StandardCharsets.UTF_8));
        Finding f = only(verifier(fetching().build()).verifyCsar(csar(uri)), FindingCode.DIGEST_MISMATCH);
        assertEquals(uri, f.subject());
        assertEquals(ExternalCsar.sha256(IMAGE), f.expected());
        assertThrows(PackageRejectedException.class, () -> verifier(fetching().build()).verifyAndExtract(csar(uri), new RecordingSink()));
    }

    /** An endless body stops at what is left of limits.maxTotalBytes: LIMIT_EXCEEDED, quickly. */
    @Test
    void anEndlessBodyIsRefusedAtTheSizeBound() throws Exception {
        String uri = server.route("images/disk.img", ArtifactServer.Behaviour.ENDLESS, null);
        TrustPolicy policy = fetching().limits(new Limits(Limits.DEFAULT.maxEntries(), 4L << 20, Limits.DEFAULT.maxExpansionRatio(),
                        Limits.DEFAULT.maxHeaderBytes()))
                .externalArtifactTimeouts(new TrustPolicy.FetchTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(60)))
                .build();
        long start = System.nanoTime();
        Finding f = only(verifier(policy).verifyCsar(csar(uri)), FindingCode.LIMIT_EXCEEDED);
        assertEquals(uri, f.subject());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toSeconds() < 30);
    }

    /** A body dripped one byte per 100 ms never trips the read bound but meets the total one: LIMIT_EXCEEDED within it. */
    @Test
    void aDripFedBodyIsRefusedAtTheTotalTimeBound() throws Exception {
        String uri = server.route("images/disk.img", ArtifactServer.Behaviour.DRIP, null);
        long start = System.nanoTime();
        Finding f = only(verifier(fetching().build()).verifyCsar(csar(uri)), FindingCode.LIMIT_EXCEEDED);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertEquals(uri, f.subject());
        assertTrue(took.compareTo(FAST.total()) >= 0 && took.toSeconds() < 20, took::toString);
    }

    /** Headers and then nothing: the read bound. */
    @Test
    void aSilentServerIsRefusedAtTheReadTimeBound() throws Exception {
        String uri = server.route("images/disk.img", ArtifactServer.Behaviour.SILENT, null);
        long start = System.nanoTime();
        only(verifier(fetching().build()).verifyCsar(csar(uri)), FindingCode.LIMIT_EXCEEDED);
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toSeconds() < 20);
    }

    @Test
    void aMissingOrShortArtifactCannotBeHad() throws Exception {
        String missing = server.route("images/none.img", ArtifactServer.Behaviour.NOT_FOUND, null);
        assertEquals(missing, only(verifier(fetching().build()).verifyCsar(csar(missing)), FindingCode.ARTIFACT_MISSING).subject());
        String shortBody = server.route("images/short.img", ArtifactServer.Behaviour.SHORT, IMAGE);
        assertEquals(shortBody, only(verifier(fetching().build()).verifyCsar(csar(shortBody)), FindingCode.ARTIFACT_MISSING).subject());
        int deadPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadPort = socket.getLocalPort();
        }
        String dead = "http://127.0.0.1:" + deadPort + "/images/disk.img";
        assertEquals(dead, only(verifier(fetching().build()).verifyCsar(csar(dead)), FindingCode.ARTIFACT_MISSING).subject());
    }

    /** What the policy does not let Veripack fetch is never requested: plain http from an unlisted host, other schemes, queries. */
    @Test
    void uriThePolicyDoesNotLetFetchIsArtifactExternalWithoutARequest() throws Exception {
        String uri = server.serve("images/disk.img", IMAGE);
        TrustPolicy noHosts = Fixtures.policy().toBuilder().externalArtifacts(TrustPolicy.ExternalArtifacts.FETCH).build();
        assertEquals(uri, only(verifier(noHosts).verifyCsar(csar(uri)), FindingCode.ARTIFACT_EXTERNAL).subject());
        List<String> others = List.of("ftp://127.0.0.1/images/disk.img", "oci://registry.example/acme/mme:2.1",
                server.url("images/disk.img?token=1"), "http://user@127.0.0.1/images/disk.img", server.url("images/"));
        List<String> failures = new ArrayList<>();
        for (String other : others) {
            VerificationReport r = verifier(fetching().build()).verifyCsar(csar(other));
            if (!codes(r).equals(Set.of(FindingCode.ARTIFACT_EXTERNAL)) || !r.findings().get(0).subject().equals(other)) {
                failures.add(other + ": " + r);
            }
        }
        assertTrue(failures.isEmpty(), () -> String.join("\n", failures));
        assertEquals(0, server.totalHits());
    }

    /** A URI from a manifest whose signature does not verify is never requested. */
    @Test
    void nothingIsFetchedForAPackageWhoseSignatureFails() throws Exception {
        String uri = server.serve("images/disk.img", IMAGE);
        TrustPolicy otherRoot = TrustPolicy.withAnchors(List.of(org.veripack.core.pki.TestPki.cert("CN=Other Root").ca(true).build()
                .certificate())).toBuilder().externalArtifacts(TrustPolicy.ExternalArtifacts.FETCH)
                .externalArtifactHttpHosts(List.of("127.0.0.1")).build();
        VerificationReport r = verifier(otherRoot).verifyCsar(csar(uri));
        assertEquals(Verdict.REJECTED, r.verdict());
        assertTrue(r.has(FindingCode.SIGNER_UNTRUSTED), r::toString);
        assertEquals(0, server.totalHits());
    }

    /** The fetcher is injected like the revocation source: plain verify under fetch hashes what it gives, and discards it. */
    @Test
    void anInjectedFetcherIsUsed() throws Exception {
        String uri = "https://images.vendor.example/acme/disk.img";
        List<String> asked = new ArrayList<>();
        ArtifactFetcher fake = (u, maxBytes, out) -> {
            asked.add(u.toString());
            out.write(IMAGE);
            return IMAGE.length;
        };
        TrustPolicy policy = Fixtures.policy().toBuilder().externalArtifacts(TrustPolicy.ExternalArtifacts.FETCH).build();
        VerificationReport r = verifier(policy).withArtifactFetcher(fake).verifyCsar(csar(uri));
        assertEquals(Verdict.ACCEPTED, r.verdict(), r::toString);
        assertEquals(List.of(uri), asked);
        assertTrue(r.artifacts().stream().anyMatch(a -> a.path().equals("External/images.vendor.example/acme/disk.img")));
        // reject (the default) asks nothing
        asked.clear();
        assertEquals(Set.of(FindingCode.ARTIFACT_EXTERNAL), codes(Fixtures.verifier().withArtifactFetcher(fake).verifyCsar(csar(uri))));
        assertEquals(List.of(), asked);
    }

    /** The node's sealed-manifest check lists the external artifact at its slot path with its signed digest, fetching nothing. */
    @Test
    void theSealedManifestNamesTheSlotPathOfAnExternalArtifact() throws Exception {
        String uri = server.serve("images/disk.img", IMAGE);
        String text = new ExternalCsar().file("Files/app.conf", "x\n", 0644).external(uri, IMAGE).manifestText("acme-mme", "2.1");
        byte[] prefix = text.getBytes(StandardCharsets.UTF_8);
        byte[] cms = org.veripack.core.sign.CmsSigner.toPemBytes(org.veripack.core.sign.CmsSigner.builder(
                Fixtures.LEAF.identity(Fixtures.CA.certificate())).clock(Fixtures.CLOCK).build()
                .signDetached(new java.io.ByteArrayInputStream(prefix)));
        ByteArrayOutputStream mf = new ByteArrayOutputStream();
        mf.writeBytes(prefix);
        mf.writeBytes(cms);
        SignedManifest s = Fixtures.verifier().verifySealedManifest(mf.toByteArray(), List.of(), Fixtures.CLOCK.instant());
        assertTrue(s.accepted(), s.report()::toString);
        assertTrue(s.entries().stream().anyMatch(e -> e.path().startsWith("External/127.0.0.1_") && e.path().endsWith("/images/disk.img")
                && e.digestHex().equals(ExternalCsar.sha256(IMAGE))), s.entries()::toString);
        assertEquals(0, server.totalHits());
    }

    /** A TOSCA.meta block naming the URI (another algorithm) is checked on the same downloaded bytes. */
    @Test
    void aToscaMetaBlockNamingTheUriIsCheckedOnTheDownload() throws Exception {
        String uri = server.serve("images/disk.img", IMAGE);
        String sha512 = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-512").digest(IMAGE));
        Path right = new ExternalCsar().file("Files/app.conf", "x\n", 0644).external(uri, IMAGE)
                .toscaMetaBlocks("\nName: " + uri + "\nContent-Type: application/x-qcow2\nAlgorithm: SHA-512\nHash: " + sha512 + "\n")
                .write(Files.createTempFile(tmp, "meta", ".csar"), Fixtures.LEAF.identity(Fixtures.CA.certificate()), Fixtures.CLOCK,
                        "acme-mme", "2.1");
        assertEquals(Verdict.ACCEPTED, verifier(fetching().build()).verifyCsar(right).verdict());
        Path wrong = new ExternalCsar().file("Files/app.conf", "x\n", 0644).external(uri, IMAGE)
                .toscaMetaBlocks("\nName: " + uri + "\nAlgorithm: SHA-512\nHash: " + "0".repeat(128) + "\n")
                .write(Files.createTempFile(tmp, "meta", ".csar"), Fixtures.LEAF.identity(Fixtures.CA.certificate()), Fixtures.CLOCK,
                        "acme-mme", "2.1");
        assertEquals(uri, only(verifier(fetching().build()).verifyCsar(wrong), FindingCode.DIGEST_MISMATCH).subject());
    }

    /** A sink that keeps what it is given. */
    static final class RecordingSink implements ArtifactSink {
        final Map<String, ByteArrayOutputStream> files = new LinkedHashMap<>();
        final List<String> directories = new ArrayList<>();

        @Override public void directory(String path, int mode) { directories.add(path); }

        @Override public OutputStream file(String path, int mode, long sizeBytes) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            files.put(path, b);
            return b;
        }

        @Override public void symlink(String path, String target) { }
    }
}
