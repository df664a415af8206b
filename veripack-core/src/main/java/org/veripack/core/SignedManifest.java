package org.veripack.core;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A signed SOL004 manifest ({@code .mf} with its CMS block) re-verified on its own, without the package:
 * what {@link PackageVerifier#verifySealedManifest} returns to a node that sealed the manifest at install
 * time and binds its installed slot to the signature (the guard's expected digests come from here, not
 * from the node's own records).
 *
 * @param report  verdict and findings of the CMS check (RFC 5652 §5.4, RFC 5280 §6 at the given instant)
 *                and the manifest's structure; the signed identity and the signers. Its
 *                {@link VerificationReport#artifacts()} is empty: the artifacts are {@link #entries()}
 * @param entries every artifact the manifest gives a digest for, in manifest order (no duplicates: a
 *                duplicate is an {@link FindingCode#ARTIFACT_DUPLICATE} finding); empty when REJECTED
 */
public record SignedManifest(VerificationReport report, List<Entry> entries) {
    public SignedManifest {
        Objects.requireNonNull(report, "report");
        entries = List.copyOf(entries);
    }

    /** True when the signature verified and the manifest is well formed. */
    public boolean accepted() { return report.accepted(); }

    /** The signed package identity (metadata block), if the manifest has one. */
    public Optional<PackageIdentity> identity() { return report.identity(); }

    /**
     * One artifact as the signed manifest describes it.
     *
     * @param path            normalised relative path ({@code /} separators, no {@code .}/{@code ..})
     * @param digestAlgorithm JCA digest name ({@code SHA-256}, {@code SHA-384}, {@code SHA-512})
     * @param digestHex       lowercase hex digest as signed (over the file bytes, or a symlink's target bytes)
     * @param signedMode      permission bits 0..0777 when the block has a {@code Veripack-Mode} line, else null
     *                        (then nothing signs the bits: such a file is installed as not executable, see
     *                        {@link ArtifactRecord#mode()})
     * @param signedType      {@link ArtifactType#FILE} or {@link ArtifactType#SYMLINK} from {@code Veripack-Mode},
     *                        else null
     */
    public record Entry(String path, String digestAlgorithm, String digestHex, Integer signedMode, ArtifactType signedType) {
        public Entry {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(digestAlgorithm, "digestAlgorithm");
            Objects.requireNonNull(digestHex, "digestHex");
        }
    }
}
