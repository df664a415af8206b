package org.veripack.repo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.veripack.repo.tuf.Metadata;
import org.veripack.repo.tuf.RepositoryException;

/**
 * The publisher's files (docs/repository.md "Layout"): reads the repository's current metadata through the timestamp,
 * writes metadata by temporary file and rename (readers see the old or the new file), and numbers the next version of
 * each role.
 */
final class RepositoryFiles {
    static final String TIMESTAMP = "timestamp.json";

    /** The repository's current metadata (the publisher's own files: no signature checks). */
    record Current(Metadata root, Metadata timestamp, Metadata snapshot, Metadata targets) { }

    private final Path dir;

    RepositoryFiles(Path dir) {
        this.dir = dir;
    }

    Path directory() { return dir; }

    Path metadataDir() { return dir.resolve("metadata"); }

    Path targetsDir() { return dir.resolve("targets"); }

    Path stagedDir() { return dir.resolve("staged"); }

    /** The current metadata: the highest root version, the timestamp, and the snapshot and targets it leads to. */
    Current current() throws IOException {
        try {
            long rv = 1;
            while (Files.exists(metadataDir().resolve((rv + 1) + ".root.json"))) {
                rv++;
            }
            Metadata root = read(rv + ".root.json", "root");
            Metadata ts = read(TIMESTAMP, "timestamp");
            long sv = ts.meta(TIMESTAMP, "snapshot.json").version();
            Metadata snap = read(sv + ".snapshot.json", "snapshot");
            long tv = snap.meta("snapshot.json", "targets.json").version();
            return new Current(root, ts, snap, read(tv + ".targets.json", "targets"));
        } catch (RepositoryException e) {
            throw new IOException(dir + ": " + e.getMessage(), e);
        }
    }

    private Metadata read(String name, String type) throws IOException, RepositoryException {
        return Metadata.parse(name, Files.readAllBytes(metadataDir().resolve(name)), type);
    }

    /** The version the next targets metadata gets. */
    long nextTargets(Current cur) {
        return cur.targets().version() + 1;
    }

    /** The version the next snapshot gets. */
    long nextSnapshot(Current cur) {
        return cur.snapshot().version() + 1;
    }

    /** The version the next timestamp gets. */
    long nextTimestamp(Current cur) {
        return cur.timestamp().version() + 1;
    }

    /** Writes metadata files in order (root, targets, snapshot, timestamp last), each by rename. */
    void writeAll(Map<String, byte[]> files) throws IOException {
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            write(metadataDir(), e.getKey(), e.getValue());
        }
    }

    /** Writes {@code directory/NAME} (mode 0644: served as it is) by temp file + rename, so a reader never sees half a file. */
    static void write(Path directory, String name, byte[] bytes) throws IOException {
        Path target = directory.resolve(name);
        Path tmp = Files.createTempFile(directory, "." + name + "-", ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
