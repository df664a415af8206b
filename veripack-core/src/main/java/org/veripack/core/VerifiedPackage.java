package org.veripack.core;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * Proof that a package passed verification: only {@link PackageVerifier} can construct one
 * (the constructor is package-private), so an installer that takes a {@code VerifiedPackage} cannot be
 * handed unverified bytes plus a boolean (Tink {@code VerifiedJwt} pattern).
 *
 * <p>Holds everything an installer needs, so it never parses the manifest or checks a signature again: the signed
 * identity, the report (verdict ACCEPTED, with the signers), the artifact records exactly as checked and extracted,
 * what the signature binds ({@link #signedEntries()}: what a node's guard will find in the sealed manifest), and the
 * signed manifest bytes and certificates so a node can seal them.
 */
public final class VerifiedPackage {
    private final VerificationReport report;
    private final PackageIdentity identity;
    private final List<ArtifactRecord> artifacts;
    private final List<SignedManifest.Entry> signedEntries;
    private final byte[] manifestBytes;
    private final String manifestName;
    private final List<X509Certificate> manifestCertificates;

    VerifiedPackage(VerificationReport report, List<ArtifactRecord> artifacts, List<SignedManifest.Entry> signedEntries,
                    byte[] manifestBytes, String manifestName, List<X509Certificate> manifestCertificates) {
        Objects.requireNonNull(report, "report");
        if (!report.accepted()) {
            throw new IllegalStateException("a VerifiedPackage needs an ACCEPTED report: " + report);
        }
        this.report = report;
        this.identity = report.identity().orElseThrow(
                () -> new IllegalStateException("a VerifiedPackage needs a signed identity"));
        this.artifacts = List.copyOf(artifacts);
        this.signedEntries = List.copyOf(signedEntries);
        this.manifestBytes = manifestBytes.clone();
        this.manifestName = Objects.requireNonNull(manifestName, "manifestName");
        this.manifestCertificates = List.copyOf(manifestCertificates);
    }

    public VerificationReport report() { return report; }

    public PackageIdentity identity() { return identity; }

    /**
     * Every artifact (files, symlinks, directories) as verified and, for install, as handed to the sink,
     * with the signed type and mode ({@link ArtifactRecord#mode()}): a node installs and seals only these.
     */
    public List<ArtifactRecord> artifacts() { return artifacts; }

    /**
     * What the signature binds, as {@link PackageVerifier#verifySealedManifest} finds it in {@link #manifestBytes()} (the
     * same rules over the same bytes): option 1, every manifest entry with a signed digest, its signed type and permission
     * bits where {@code Veripack-Mode} signs them (null where not), the manifest itself left out; option 2, every file and
     * symlink of the inner CSAR with its type and mode (the outer signature covers the inner zip). A node binds the
     * record it seals to these instead of verifying the signature again.
     */
    public List<SignedManifest.Entry> signedEntries() { return signedEntries; }

    /** The signed manifest ({@code .mf}) bytes including its CMS block, as read from the package. */
    public byte[] manifestBytes() { return manifestBytes.clone(); }

    /** The manifest's path inside the package (e.g. {@code MainServiceTemplate.mf}). */
    public String manifestName() { return manifestName; }

    /**
     * Certificates the package shipped beside the manifest ({@code <manifest>.cert}, TOSCA.meta
     * {@code ETSI-Entry-Certificate}), which {@link PackageVerifier#verifySealedManifest} needs again
     * when the CMS block does not embed the signer certificate; empty when there were none.
     */
    public List<X509Certificate> manifestCertificates() { return manifestCertificates; }
}
