package org.veripack.core;

import java.util.Objects;

/**
 * One artifact as verified: its path, kind, Unix permission bits, size and the digest that matched
 * the signed manifest. Instances in a {@link VerifiedPackage} are exactly what the verifier checked.
 *
 * @param path            normalised relative path with {@code /} separators, no {@code .}/{@code ..} segments
 * @param type            file, symlink or directory, as signed (a zip entry whose type differs from its signed
 *                        {@code Veripack-Mode} is {@link FindingCode#MODE_MISMATCH}, never recorded)
 * @param mode            permission bits 0..0777 as signed (no setuid/setgid/sticky: those are
 *                        {@link FindingCode#UNSAFE_PATH}): a file's {@code Veripack-Mode} permission bits from
 *                        its manifest block; {@code 0644} (not executable) for a file of an option-1 CSAR whose
 *                        block has no {@code Veripack-Mode} (third-party CSARs: the zip's bits are not signed),
 *                        or {@code 0755} when its zip entry has the owner-execute bit and the policy says
 *                        {@code archiveExecuteBits: honour} ({@link ArchiveExecuteBits});
 *                        the inner zip entry's bits in option 2 (the outer signature covers them); {@code 0777}
 *                        for a symlink; {@code 0755} for a directory (directories are derived from artifact
 *                        paths, never taken from zip entries). A node installs files 0444, or 0555 when this
 *                        mode has an execute bit, and directories 0555.
 * @param sizeBytes       number of content bytes (target length for a symlink, 0 for a directory)
 * @param digestAlgorithm JCA name of the digest ({@code SHA-256}, {@code SHA-384}, {@code SHA-512}); null for a directory
 * @param digestHex       lowercase hex digest; null for a directory
 * @param linkTarget      symlink target as stored (relative, resolves inside the package); null otherwise
 * @param source          for an external artifact (a manifest {@code Source} that is a URI, fetched under
 *                        {@code externalArtifacts: fetch}), the URI as the manifest writes it, and {@code path} is
 *                        where its bytes go in the slot ({@code External/<host>[_<port>]/<path>},
 *                        {@code docs/signed-metadata.md}); null for a file of the package
 */
public record ArtifactRecord(String path, ArtifactType type, int mode, long sizeBytes,
                             String digestAlgorithm, String digestHex, String linkTarget, String source) {
    /** A file, symlink or directory of the package ({@link #source()} null). */
    public ArtifactRecord(String path, ArtifactType type, int mode, long sizeBytes, String digestAlgorithm, String digestHex,
                          String linkTarget) {
        this(path, type, mode, sizeBytes, digestAlgorithm, digestHex, linkTarget, null);
    }

    public ArtifactRecord {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(type, "type");
        if ((mode & ~0777) != 0) {
            throw new IllegalArgumentException("mode has bits outside 0777: " + Integer.toOctalString(mode));
        }
        if (sizeBytes < 0) {
            throw new IllegalArgumentException("negative size");
        }
    }
}
