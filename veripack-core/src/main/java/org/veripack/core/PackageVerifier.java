package org.veripack.core;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Objects;

/**
 * The one verifier: a pure function of (package bytes, trust policy, time, revocation data) to a
 * {@link VerificationReport}. Time comes from the injected {@link Clock}, read once per verification.
 *
 * <p>Two shapes per format: a reporting call that never throws for bad input and lists every finding,
 * and, for installation, a throwing call that streams each artifact once into an {@link ArtifactSink}
 * while hashing it and returns a {@link VerifiedPackage} only when the verdict is ACCEPTED.
 *
 * <p>Errors: untrusted input that is bad becomes findings, never exceptions; {@link IOException} only
 * for I/O failures of the environment (unreadable file, disk full in the sink) — CLI exit code 3.
 */
public final class PackageVerifier {
    private final TrustPolicy policy;
    private final Clock clock;

    private PackageVerifier(TrustPolicy policy, Clock clock) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** A verifier for {@code policy}, validating certificates at {@code clock.instant()} (fixed per call). */
    public static PackageVerifier create(TrustPolicy policy, Clock clock) {
        return new PackageVerifier(policy, clock);
    }

    public TrustPolicy policy() { return policy; }

    public Clock clock() { return clock; }

    /**
     * Verifies an ETSI GS NFV-SOL 004 CSAR, option 1 or option 2 (detected from the content).
     *
     * @param csar path to the {@code .csar}/{@code .zip}
     * @return the report listing every finding
     * @throws IOException when the file cannot be read (not for malformed content: that is
     *                     {@link FindingCode#MALFORMED_PACKAGE})
     */
    public VerificationReport verifyCsar(Path csar) throws IOException {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * Verifies any file against a detached CMS SignedData (DER or PEM), byte-compatible with
     * {@code openssl cms -verify -binary -content FILE}.
     */
    public VerificationReport verifyDetached(Path file, Path signature) throws IOException {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * Verifies a CSAR and streams each artifact once into {@code sink} while hashing it (install).
     *
     * @throws PackageRejectedException with the full report when the verdict is REJECTED; the caller
     *                                  discards whatever the sink received
     * @throws IOException              on I/O failure reading the package or writing to the sink
     */
    public VerifiedPackage verifyAndExtract(Path csar, ArtifactSink sink) throws PackageRejectedException, IOException {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** Wraps an ACCEPTED report into the proof type; only verifiers in this package may call it. */
    static VerifiedPackage seal(VerificationReport report, List<ArtifactRecord> artifacts, byte[] manifest, String manifestName) {
        return new VerifiedPackage(report, artifacts, manifest, manifestName);
    }
}
