package org.veripack.repo;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.veripack.repo.tuf.CanonicalJson;
import org.veripack.repo.tuf.Metadata;
import org.veripack.repo.tuf.RepositoryException;

/**
 * The publisher's files (docs/repository.md "Layout"): reads the repository's current metadata, writes metadata by
 * temporary file and rename (readers see the old or the new file), and knows the highest version of each role it
 * issued, so that no version number is issued twice (TUF spec v1.0.x §5.4.3, §5.5.5, §5.6.4: a client that trusted
 * version N takes a different document numbered N as no change, and refuses a lower one).
 *
 * <p>Root, snapshot and targets are versioned files (consistent snapshots, §5.5.1/§5.6.1): the files themselves are
 * the record. {@code timestamp.json} is replaced in place, so the highest timestamp version issued is also recorded in
 * {@code DIR/issued.json}, beside {@code metadata/} (not part of the TUF layout; clients never request it): a
 * {@code timestamp.json} replaced by an older copy (restored, or replayed into the served directory) does not lower
 * it.
 */
final class RepositoryFiles {
    static final String TIMESTAMP = "timestamp.json";
    /** The record of the highest timestamp version issued, {@code {"timestamp": N}}. */
    static final String ISSUED = "issued.json";

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

    /**
     * The current metadata: the highest root version (the chain {@code 1.root.json}, {@code 2.root.json}...), the
     * served {@code timestamp.json}, the newest snapshot written (the one the timestamp names, or a newer one when the
     * timestamp file was replaced by an older copy) and the targets that snapshot names.
     *
     * @throws IOException when a file is missing or not metadata
     */
    Current current() throws IOException {
        try {
            long rv = 1;
            while (Files.exists(metadataDir().resolve((rv + 1) + ".root.json"))) {
                rv++;
            }
            Metadata root = read(rv + ".root.json", "root");
            Metadata ts = read(TIMESTAMP, "timestamp");
            long sv = Math.max(ts.meta(TIMESTAMP, "snapshot.json").version(), highest("snapshot"));
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

    /** The version the next targets metadata gets: above every {@code N.targets.json} written. */
    long nextTargets(Current cur) throws IOException {
        return Math.max(cur.targets().version(), highest("targets")) + 1;
    }

    /** The version the next snapshot gets: above every {@code N.snapshot.json} written. */
    long nextSnapshot(Current cur) throws IOException {
        return Math.max(cur.snapshot().version(), highest("snapshot")) + 1;
    }

    /** The version the next timestamp gets: above the served {@code timestamp.json} and every timestamp issued. */
    long nextTimestamp(Current cur) throws IOException {
        return Math.max(cur.timestamp().version(), issuedTimestamp()) + 1;
    }

    /** The highest timestamp version recorded in {@code DIR/issued.json}, 0 when there is no record. */
    long issuedTimestamp() throws IOException {
        Path f = dir.resolve(ISSUED);
        if (!Files.isRegularFile(f)) {
            return 0;
        }
        JsonNode v = CanonicalJson.JSON.readTree(Files.readAllBytes(f)).path("timestamp");
        if (!v.canConvertToLong() || v.asLong() < 1) {
            throw new IOException(f + ": not a record of the timestamp versions issued ({\"timestamp\": N})");
        }
        return v.asLong();
    }

    /** The highest N of the files {@code metadata/N.ROLE.json}, 0 when there are none. */
    private long highest(String role) throws IOException {
        Pattern p = Pattern.compile("([0-9]{1,18})\\." + role + "\\.json");
        long max = 0;
        try (var files = Files.list(metadataDir())) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Matcher m = p.matcher(f.getFileName().toString());
                if (m.matches()) {
                    max = Math.max(max, Long.parseLong(m.group(1)));
                }
            }
        }
        return max;
    }

    /**
     * Writes metadata files in order (root, targets, snapshot, timestamp last), each by rename; a timestamp is then
     * recorded in {@code DIR/issued.json}.
     */
    void writeAll(Map<String, byte[]> files) throws IOException {
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            write(metadataDir(), e.getKey(), e.getValue());
            if (e.getKey().equals(TIMESTAMP)) {
                recordTimestamp(e.getValue());
            }
        }
    }

    private void recordTimestamp(byte[] timestamp) throws IOException {
        long v;
        try {
            v = Metadata.parse(TIMESTAMP, timestamp, "timestamp").version();
        } catch (RepositoryException e) {
            throw new IOException(e.getMessage(), e);
        }
        if (v > issuedTimestamp()) {
            write(dir, ISSUED, CanonicalJson.encode(CanonicalJson.JSON.createObjectNode().put("timestamp", v)));
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
