package org.veripack.node.internal;

import java.time.Instant;
import org.veripack.core.ArtifactRecord;
import org.veripack.core.Finding;
import org.veripack.core.PackageFormat;
import org.veripack.core.SignerSummary;
import org.veripack.core.VerificationReport;

/** Builds reports carrying the node's own findings on top of the verifier's. */
public final class Reports {
    private Reports() { }

    /** A copy of {@code r} with {@code extra} added (the verdict becomes REJECTED). */
    public static VerificationReport withFinding(VerificationReport r, Finding extra) {
        VerificationReport.Builder b = VerificationReport.builder(r.format(), r.verificationTime());
        r.packageSha256().ifPresent(b::packageSha256);
        r.identity().ifPresent(b::identity);
        for (SignerSummary s : r.signers()) {
            b.signer(s);
        }
        for (ArtifactRecord a : r.artifacts()) {
            b.artifact(a);
        }
        r.findings().forEach(b::finding);
        r.warnings().forEach(b::warning);
        return b.finding(extra).build();
    }

    /** A report for a package refused before the verifier produced one (e.g. the staging sink refused a path). */
    public static VerificationReport single(PackageFormat format, Instant at, Finding finding) {
        return VerificationReport.builder(format, at).finding(finding).build();
    }
}
