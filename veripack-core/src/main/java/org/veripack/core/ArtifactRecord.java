package org.veripack.core;

import java.util.Objects;

/**
 * One artifact as verified: its path, kind, Unix permission bits, size and the digest that matched
 * the signed manifest. Instances in a {@link VerifiedPackage} are exactly what the verifier checked.
 *
 * @param path            normalised relative path with {@code /} separators, no {@code .}/{@code ..} segments
 * @param type            file, symlink or directory
 * @param mode            permission bits 0..0777 (no setuid/setgid/sticky: those are {@link FindingCode#UNSAFE_PATH})
 * @param sizeBytes       number of content bytes (target length for a symlink, 0 for a directory)
 * @param digestAlgorithm JCA name of the digest ({@code SHA-256}, {@code SHA-384}, {@code SHA-512}); null for a directory
 * @param digestHex       lowercase hex digest; null for a directory
 * @param linkTarget      symlink target as stored (relative, resolves inside the package); null otherwise
 */
public record ArtifactRecord(String path, ArtifactType type, int mode, long sizeBytes,
                             String digestAlgorithm, String digestHex, String linkTarget) {
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
