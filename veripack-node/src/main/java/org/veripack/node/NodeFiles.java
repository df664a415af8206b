package org.veripack.node;

import java.io.IOException;
import java.nio.file.Path;
import org.veripack.node.internal.DurableFiles;

/**
 * The node's files that other modules write (the update client, docs/repository.md "The node's update"), and the
 * node's one way of writing them crash-safely. Paths under a node root {@code NODE}:
 * <pre>
 * NODE/config/repository-root.json   the pinned first root of the package repository (trust store, trust administrators)
 * NODE/state/tuf/                    the repository metadata the node trusts (root, timestamp, snapshot, targets)
 * NODE/cache/update/                 targets being downloaded, until installed (not staging/, which recovery empties)
 * </pre>
 */
public final class NodeFiles {
    private NodeFiles() { }

    /** {@code NODE/config/repository-root.json}: inside the trust store, so {@link NodeTrust#requireProtected()} checks it. */
    public static Path repositoryRoot(Path root) { return root.resolve("config").resolve("repository-root.json"); }

    /** {@code NODE/state/tuf}: the trusted repository metadata. */
    public static Path updateState(Path root) { return root.resolve("state").resolve("tuf"); }

    /** {@code NODE/cache/update}: downloaded targets before they are installed. */
    public static Path updateCache(Path root) { return root.resolve("cache").resolve("update"); }

    /**
     * Writes {@code bytes} to {@code target} so that a crash leaves the old or the new content: a temporary file in
     * the same directory, fsync, {@code rename(2)}, fsync of the directory.
     *
     * @throws IOException when writing fails (the old content is intact)
     */
    public static void writeAtomically(Path target, byte[] bytes) throws IOException {
        DurableFiles.writeAtomically(target, bytes);
    }

    /** Creates {@code dir} and its parents when missing, mode 0700 (the node owner's alone). */
    public static void ensurePrivateDirectory(Path dir) throws IOException {
        DurableFiles.ensureDirectory(dir, "rwx------");
    }

    /** Removes the stray temporary files ({@code *.tmp-*}) a crash during {@link #writeAtomically} left in {@code dir}. */
    public static void removeTemporaries(Path dir) throws IOException {
        try (var ds = java.nio.file.Files.newDirectoryStream(dir, "*.tmp-*")) {
            for (Path t : ds) {
                java.nio.file.Files.deleteIfExists(t);
            }
        }
    }
}
