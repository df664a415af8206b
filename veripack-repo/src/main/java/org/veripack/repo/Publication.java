package org.veripack.repo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import org.veripack.core.PolicyException;
import org.veripack.repo.TufRepository.Role;
import org.veripack.repo.tuf.TrustedMetadata;

/**
 * The metadata that publishes a targets version (docs/repository.md "Layout"): the targets file, the snapshot that
 * records its version, length and SHA-256 (§4.4), and the timestamp that records the snapshot's (§4.6), signed before
 * anything is written and written in that order by {@link RepositoryFiles#writeAll}, the timestamp last, so a client
 * reading meanwhile sees the old or the new repository.
 */
final class Publication {
    private final MetadataSigner signer;
    private final Clock clock;

    Publication(MetadataSigner signer, Clock clock) {
        this.signer = signer;
        this.clock = clock;
    }

    /** The publisher's clock, to the second (metadata expiry is written without fractions). */
    Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.SECONDS);
    }

    /**
     * The files that publish {@code targetsBytes} (version {@code tv}) under {@code root}'s keys: targets, then the
     * snapshot naming it, then the timestamp naming that; everything is signed before anything is written, so a
     * missing key leaves the repository as it was.
     *
     * @throws PolicyException when the key directory lacks a threshold of snapshot or timestamp keys
     */
    Map<String, byte[]> files(ObjectNode root, byte[] targetsBytes, long tv, Duration snapshotExpiry, Duration timestampExpiry,
                              long snapshotVersion, long timestampVersion) throws PolicyException {
        Instant now = now();
        ObjectNode snapshot = MetadataSigner.signedBase("snapshot", snapshotVersion, now.plus(snapshotExpiry));
        ObjectNode meta = snapshot.putObject("meta").putObject("targets.json");
        meta.put("version", tv);
        meta.put("length", targetsBytes.length);
        meta.putObject("hashes").put("sha256", TrustedMetadata.digests(targetsBytes).get("sha256"));
        byte[] snapshotBytes = signer.sign(root, snapshot, Role.SNAPSHOT);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(tv + ".targets.json", targetsBytes);
        files.put(snapshotVersion + ".snapshot.json", snapshotBytes);
        files.put(RepositoryFiles.TIMESTAMP, timestamp(root, snapshotBytes, snapshotVersion, timestampVersion,
                now.plus(timestampExpiry)));
        return files;
    }

    /** A timestamp of {@code version} recording the snapshot {@code snapshotBytes}, signed by {@code root}'s timestamp keys. */
    byte[] timestamp(ObjectNode root, byte[] snapshotBytes, long snapshotVersion, long version, Instant expires)
            throws PolicyException {
        ObjectNode ts = MetadataSigner.signedBase("timestamp", version, expires);
        ObjectNode meta = ts.putObject("meta").putObject("snapshot.json");
        meta.put("version", snapshotVersion);
        meta.put("length", snapshotBytes.length);
        meta.putObject("hashes").put("sha256", TrustedMetadata.digests(snapshotBytes).get("sha256"));
        return signer.sign(root, ts, Role.TIMESTAMP);
    }
}
