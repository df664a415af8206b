package org.veripack.node.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.veripack.core.ArtifactRecord;
import org.veripack.core.VerificationReport;
import org.veripack.core.VerifiedPackage;

/**
 * A package fully extracted into staging by the single verify-while-extract pass, with the verifier's proof that it
 * was ACCEPTED; the installer still applies the node's checks (identity syntax, anti-rollback, sink/manifest agreement)
 * before sealing and activating it, and binds the seal to the proof instead of verifying the signature again.
 *
 * @param workDir     {@code NODE/staging/<random>}, removed after the install either way
 * @param sink        the sink that wrote {@code workDir/slot}
 * @param verified    the proof: report, artifacts, what the signature binds, manifest bytes and certificates
 * @param trust       the install-time trust to seal with the slot (the guard re-verifies with it)
 * @param packageFile the package file (copied into {@code NODE/state} for option 2, whose signature covers
 *                    the inner CSAR rather than the manifest)
 */
public record StagedPackage(Path workDir, StagingSink sink, VerifiedPackage verified, SealedTrust trust, Path packageFile) {
    public StagedPackage {
        Objects.requireNonNull(workDir, "workDir");
        Objects.requireNonNull(sink, "sink");
        Objects.requireNonNull(verified, "verified");
        Objects.requireNonNull(trust, "trust");
    }

    /** The ACCEPTED report. */
    public VerificationReport report() { return verified.report(); }

    /** The verified artifact records, as handed to the sink. */
    public List<ArtifactRecord> artifacts() { return verified.artifacts(); }

    /** The signed manifest bytes to seal. */
    public byte[] manifestBytes() { return verified.manifestBytes(); }

    /** The manifest's path inside the package. */
    public String manifestName() { return verified.manifestName(); }
}
