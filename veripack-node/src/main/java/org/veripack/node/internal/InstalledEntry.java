package org.veripack.node.internal;

import java.util.Objects;
import org.veripack.core.ArtifactRecord;
import org.veripack.core.ArtifactType;

/**
 * One entry of an installed slot as sealed at install time: what the guard expects to find.
 *
 * @param path       relative path inside the slot ({@code /} separators)
 * @param type       file, symlink or directory
 * @param signedMode permission bits from the signed package (0..0777)
 * @param sizeBytes  content size (symlink: target length; directory: 0)
 * @param algorithm  JCA digest name for files/symlinks, null for directories
 * @param digestHex  lowercase hex digest, null for directories
 * @param linkTarget symlink target, null otherwise
 */
public record InstalledEntry(String path, ArtifactType type, int signedMode, long sizeBytes,
                             String algorithm, String digestHex, String linkTarget) {
    public InstalledEntry {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(type, "type");
    }

    /** From a verified artifact record. */
    public static InstalledEntry of(ArtifactRecord a) {
        return new InstalledEntry(a.path(), a.type(), a.mode(), a.sizeBytes(), a.digestAlgorithm(), a.digestHex(), a.linkTarget());
    }

    /** A parent directory the package did not list but that its entries imply. */
    public static InstalledEntry impliedDirectory(String path) {
        return new InstalledEntry(path, ArtifactType.DIRECTORY, 0755, 0, null, null, null);
    }

    /**
     * The mode the slot carries on disk: directories 0555; files 0555 when the signed mode has any
     * execute bit, else 0444 (exec bits as signed, write bits never); symlinks have no mode of their own.
     */
    public int installedMode() {
        return switch (type) {
            case DIRECTORY -> 0555;
            case FILE -> (signedMode & 0111) != 0 ? 0555 : 0444;
            case SYMLINK -> 0777;
        };
    }
}
