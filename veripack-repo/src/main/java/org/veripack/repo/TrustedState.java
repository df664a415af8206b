package org.veripack.repo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.veripack.node.NodeFiles;
import org.veripack.repo.tuf.RepositoryException;
import org.veripack.repo.tuf.TrustedMetadata;

/**
 * The node's trusted repository metadata, {@code NODE/state/tuf} (docs/repository.md "The node's update"): the
 * trusted {@code root.json}, {@code timestamp.json}, {@code snapshot.json} and {@code targets.json}, each replaced by
 * an atomic write ({@link NodeFiles#writeAtomically}) as soon as it is trusted (§5.3.8, §5.4.5, §5.5.7, §5.6.6), and
 * {@code origin}, the SHA-256 of the pinned root the state grew from.
 */
final class TrustedState {
    static final String ROOT = "root.json", TIMESTAMP = "timestamp.json", SNAPSHOT = "snapshot.json", TARGETS = "targets.json";

    private final Path dir;

    TrustedState(Path dir) {
        this.dir = dir;
    }

    Path directory() {
        return dir;
    }

    /**
     * The trusted state: the files when they grew from {@code pinnedRoot}, else the pinned root alone (§5.2): on the
     * first run, or after a trust administrator pinned another root, the old chain's files are deleted.
     *
     * @throws RepositoryException when the pinned root or the trusted files do not make a trusted state
     */
    TrustedMetadata load(byte[] pinnedRoot) throws IOException, RepositoryException {
        byte[] origin = read(dir.resolve("origin"));
        if (origin == null || !new String(origin, StandardCharsets.US_ASCII).equals(sha256(pinnedRoot))) {
            // first run, or a trust administrator pinned another root: the state of the old chain is not trusted
            for (String f : List.of(ROOT, TIMESTAMP, SNAPSHOT, TARGETS)) {
                Files.deleteIfExists(dir.resolve(f));
            }
            TrustedMetadata t = TrustedMetadata.fromRoot(pinnedRoot);
            persist(ROOT, pinnedRoot);
            NodeFiles.writeAtomically(dir.resolve("origin"), sha256(pinnedRoot).getBytes(StandardCharsets.US_ASCII));
            return t;
        }
        return TrustedMetadata.restore(read(dir.resolve(ROOT)), read(dir.resolve(TIMESTAMP)), read(dir.resolve(SNAPSHOT)),
                read(dir.resolve(TARGETS)));
    }

    /** Replaces the trusted {@code name} by {@code bytes}, atomically. */
    void persist(String name, byte[] bytes) throws IOException {
        NodeFiles.writeAtomically(dir.resolve(name), bytes);
    }

    /** Deletes the trusted timestamp and snapshot (§5.3.11: their keys rotated). */
    void forgetTimestampAndSnapshot() throws IOException {
        Files.deleteIfExists(dir.resolve(TIMESTAMP));
        Files.deleteIfExists(dir.resolve(SNAPSHOT));
    }

    private static byte[] read(Path p) throws IOException {
        return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? Files.readAllBytes(p) : null;
    }

    static String sha256(byte[] b) {
        return HexFormat.of().formatHex(RepositoryReader.digest("SHA-256").digest(b));
    }
}
