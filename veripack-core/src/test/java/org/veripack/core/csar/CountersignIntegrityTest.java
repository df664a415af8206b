package org.veripack.core.csar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.FindingCode;
import org.veripack.core.PackageRejectedException;
import org.veripack.core.ReportFormat;
import org.veripack.core.Verdict;
import org.veripack.core.VerificationReport;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CmsSigner;
import org.veripack.core.sign.CsarCountersigner;

/**
 * Countersigning a tampered CSAR used to succeed silently (the operator's signature
 * then vouched for bytes the vendor never signed); after countersigning, the text verdict named only one
 * signer. The operator's certificate is deliberately not a trust anchor of the verifier's policy: the
 * countersigner checks integrity, not trust.
 */
class CountersignIntegrityTest {
    private static final Issued OPERATOR = TestPki.cert("CN=Telco Release Approval,O=Telco").issuedBy(Fixtures.CA).build();

    @TempDir Path tmp;

    private CsarCountersigner operator() {
        return new CsarCountersigner(CmsSigner.builder(OPERATOR.identity(Fixtures.CA.certificate())).clock(Fixtures.CLOCK).build());
    }

    private void assertRefused(Path csar, FindingCode code) throws Exception {
        Path out = tmp.resolve("out-" + System.nanoTime() + ".csar");
        PackageRejectedException e = assertThrows(PackageRejectedException.class, () -> operator().countersign(csar, out));
        assertTrue(e.report().has(code), e.report()::toString);
        assertTrue(e.report().findings().stream().allMatch(f -> CsarCountersigner.INTEGRITY.contains(f.code())), e.report()::toString);
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void countersigningATamperedArtifactIsRefusedWithDigestMismatch() throws Exception {
        Path csar = Fixtures.rewrite(Fixtures.genuineCsar(tmp), tmp.resolve("tampered.csar"),
                l -> Fixtures.replace(l, "Files/mme.conf", e -> e.withData("plmn: 99999\n".getBytes(StandardCharsets.UTF_8))));
        assertRefused(csar, FindingCode.DIGEST_MISMATCH);
    }

    @Test
    void countersigningAManifestWhoseSignatureDoesNotVerifyIsRefused() throws Exception {
        Path genuine = Fixtures.genuineCsar(tmp);
        Path csar = Fixtures.rewrite(genuine, tmp.resolve("badsig.csar"), l -> Fixtures.replace(l, Fixtures.manifestName(l),
                e -> e.withData(e.text().replace("vnf_package_version: 2.1", "vnf_package_version: 9.1").getBytes(StandardCharsets.UTF_8))));
        assertRefused(csar, FindingCode.SIGNATURE_INVALID);
    }

    @Test
    void countersigningAnUnlistedAddedFileIsRefused() throws Exception {
        Path csar = Fixtures.rewrite(Fixtures.genuineCsar(tmp), tmp.resolve("added.csar"), l -> {
            l.add(Fixtures.E.file("Files/bin/backdoor", "#!/bin/sh\n"));
            return l;
        });
        assertRefused(csar, FindingCode.ARTIFACT_UNLISTED);
    }

    @Test
    void countersigningAZipWhoseIndexIsAboveTheLimitsIsRefusedBeforeItIsParsed() throws Exception {
        assertRefused(HostileZips.emptyEntries(tmp.resolve("300k.zip"), HostileZips.OVER_DEFAULT_ENTRIES), FindingCode.LIMIT_EXCEEDED);
    }

    /**
     * A local attacker who can write the directory of the input renames a tampered copy over it while the
     * countersigner verifies it (the swap is timed by watching this process's descriptors: once the input has been
     * open a moment, verification is under way). Whatever the timing, the operator's signature is never added to
     * bytes that were not verified: countersign refuses, or its output verifies.
     */
    @Test
    void aPackageRenamedOverTheInputWhileItIsVerifiedIsNotCountersigned() throws Exception {
        Path dir = Fixtures.packageDir(Files.createDirectory(tmp.resolve("src")));
        byte[] image = new byte[48 << 20];
        new java.util.Random(1).nextBytes(image);
        Files.write(dir.resolve("Files/image.bin"), image);
        Path in = tmp.resolve("incoming.csar");
        Fixtures.signer(Fixtures.LEAF).build().writeOption1(dir, in);
        Path tampered = Fixtures.rewrite(in, tmp.resolve("tampered.csar"),
                l -> Fixtures.replace(l, "Files/mme.conf", e -> e.withData("plmn: 99999\n".getBytes(StandardCharsets.UTF_8))));
        Path out = tmp.resolve("out.csar");
        java.util.concurrent.CompletableFuture<Void> countersigning = java.util.concurrent.CompletableFuture.runAsync(() -> {
            try {
                operator().countersign(in, out);
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        long openSince = -1;
        while (!countersigning.isDone()) {
            if (!isOpen(in)) {
                openSince = -1;
            } else if (openSince < 0) {
                openSince = System.nanoTime();
            } else if (System.nanoTime() - openSince > 20_000_000L) {
                Files.move(tampered, in, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                break;
            }
        }
        try {
            countersigning.join();
            assertEquals(Verdict.ACCEPTED, Fixtures.verifier().verifyCsar(out).verdict(), "what was countersigned is what was verified");
        } catch (java.util.concurrent.CompletionException e) {
            PackageRejectedException refused = assertInstanceOf(PackageRejectedException.class, e.getCause());
            assertTrue(refused.report().has(FindingCode.MALFORMED_PACKAGE) || refused.report().has(FindingCode.DIGEST_MISMATCH),
                    refused.report()::toString);
            assertFalse(Files.exists(out), "nothing written");
        }
        assertFalse(Files.exists(tampered), "the tampered copy was renamed over the input while it was countersigned");
    }

    /** Whether this process holds {@code file} open (Linux {@code /proc/self/fd}). */
    private static boolean isOpen(Path file) throws java.io.IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    if (Files.readSymbolicLink(fd).equals(file)) {
                        return true;
                    }
                } catch (java.io.IOException closed) {
                    // closed since it was listed
                }
            }
        }
        return false;
    }

    @Test
    void countersignedGenuinePackageVerifiesAndTheTextNamesEverySigner() throws Exception {
        Path out = tmp.resolve("both.csar");
        operator().countersign(Fixtures.genuineCsar(tmp), out);
        VerificationReport r = Fixtures.verifier().verifyCsar(out);
        assertEquals(Verdict.ACCEPTED, r.verdict(), r::toString);
        assertEquals(2, r.signers().size());
        String first = ReportFormat.toText(r).lines().findFirst().orElseThrow();
        // SignerInfos form a DER SET (RFC 5652 §5.1), so their order is the encoding's, not the signing order
        String names = r.signers().stream().map(s -> s.subject()).collect(java.util.stream.Collectors.joining("; "));
        assertTrue(first.endsWith(" signed by " + names), first);
        assertEquals(java.util.Set.of(Fixtures.LEAF.subject(), OPERATOR.subject()),
                r.signers().stream().map(s -> s.subject()).collect(java.util.stream.Collectors.toSet()));
    }
}
