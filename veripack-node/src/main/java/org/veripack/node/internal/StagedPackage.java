package org.veripack.node.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.veripack.core.ArtifactRecord;
import org.veripack.core.VerificationReport;

/**
 * A package fully extracted into staging by the single verify-while-extract pass and ACCEPTED by the
 * verifier (built from a {@code VerifiedPackage}); the installer still applies the node's checks
 * (identity syntax, anti-rollback, sink/manifest agreement) before sealing and activating it.
 *
 * @param workDir       {@code NODE/staging/<random>}, removed after the install either way
 * @param sink          the sink that wrote {@code workDir/slot}
 * @param report        the ACCEPTED report
 * @param artifacts     the verified artifact records
 * @param manifestBytes signed manifest bytes to seal
 * @param manifestName  manifest path inside the package
 * @param trust         the install-time trust to seal with the slot (the guard re-verifies with it)
 * @param packageFile   the package file (copied into {@code NODE/state} for option 2, whose signature covers
 *                      the inner CSAR rather than the manifest)
 */
public record StagedPackage(Path workDir, StagingSink sink, VerificationReport report, List<ArtifactRecord> artifacts,
                            byte[] manifestBytes, String manifestName, SealedTrust trust, Path packageFile) {
    public StagedPackage {
        Objects.requireNonNull(workDir, "workDir");
        Objects.requireNonNull(sink, "sink");
        Objects.requireNonNull(report, "report");
        artifacts = List.copyOf(artifacts);
        Objects.requireNonNull(manifestBytes, "manifestBytes");
        Objects.requireNonNull(trust, "trust");
    }
}
