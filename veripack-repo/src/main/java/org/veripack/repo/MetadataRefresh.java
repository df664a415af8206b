package org.veripack.repo;

import static org.veripack.repo.TrustedState.ROOT;
import static org.veripack.repo.TrustedState.SNAPSHOT;
import static org.veripack.repo.TrustedState.TARGETS;
import static org.veripack.repo.TrustedState.TIMESTAMP;

import java.io.IOException;
import java.time.Clock;
import org.veripack.core.ArtifactFetcher;
import org.veripack.core.FindingCode;
import org.veripack.repo.tuf.Metadata;
import org.veripack.repo.tuf.RepositoryException;
import org.veripack.repo.tuf.TrustedMetadata;

/**
 * The client's refresh, TUF spec v1.0.x §5.3–§5.6 in order (docs/repository.md "The node's update", steps 2 and 3):
 * the root chain, then timestamp, snapshot and targets, each fetched with its bound, decided by
 * {@link TrustedMetadata} and persisted in {@link TrustedState} as soon as it is trusted.
 */
record MetadataRefresh(RepositoryReader reader, TrustedState state, Clock clock) {

    /**
     * §5.3–§5.6, persisting each document as soon as it is trusted (§5.3.8, §5.4.5, §5.5.7, §5.6.6).
     *
     * @return the refreshed trusted metadata
     * @throws RepositoryException the first refusal ({@code REPO_*}); what was persisted before it stays trusted
     */
    TrustedMetadata refresh(TrustedMetadata t) throws IOException, RepositoryException, RepositoryReader.Unreachable {
        // §5.3.2–§5.3.9: walk N+1.root.json until the repository has none
        for (int i = 0; i < NodeUpdate.MAX_ROOT_ROTATIONS; i++) {
            String path = "metadata/" + (t.root().metadata().version() + 1) + ".root.json";
            byte[] b;
            try {
                b = reader.fetch(path, NodeUpdate.MAX_ROOT_BYTES, true);
            } catch (ArtifactFetcher.NotFoundException end) {
                break; // §5.3.3: no newer root
            }
            TrustedMetadata next = t.withRoot(b);
            if (next.timestamp() == null && t.timestamp() != null) {
                // §5.3.11: timestamp or snapshot keys rotated; deleted before the new root is persisted, so a crash
                // between the two never pairs the new root with a timestamp its keys did not sign
                state.forgetTimestampAndSnapshot();
            }
            state.persist(ROOT, b);
            t = next;
        }
        t.checkRootFresh(clock.instant()); // §5.3.10
        // §5.4
        byte[] ts = reader.fetch("metadata/" + TIMESTAMP, NodeUpdate.MAX_TIMESTAMP_BYTES, false);
        TrustedMetadata afterTs = t.withTimestamp(ts, clock.instant());
        if (afterTs != t) {
            state.persist(TIMESTAMP, ts);
        }
        t = afterTs;
        // §5.5: skipped when the trusted snapshot is the one the timestamp names
        if (!t.snapshotCurrent()) {
            Metadata.MetaFile rec = t.timestamp().metadata().meta(TIMESTAMP, SNAPSHOT);
            byte[] snap = reader.fetch("metadata/" + (t.consistentSnapshot() ? rec.version() + "." : "") + SNAPSHOT, bound(rec), false);
            t = t.withSnapshot(snap, clock.instant());
            state.persist(SNAPSHOT, snap);
        }
        // §5.6
        if (!t.targetsCurrent()) {
            if (!t.snapshot().metadata().metaNames().contains(TARGETS)) {
                throw new RepositoryException(FindingCode.REPO_MALFORMED, SNAPSHOT, "snapshot does not list targets.json");
            }
            Metadata.MetaFile rec = t.snapshot().metadata().meta(SNAPSHOT, TARGETS);
            byte[] tg = reader.fetch("metadata/" + (t.consistentSnapshot() ? rec.version() + "." : "") + TARGETS, bound(rec), false);
            t = t.withTargets(tg, clock.instant());
            state.persist(TARGETS, tg);
        }
        t.checkFresh(clock.instant()); // what was not downloaded again must not have expired meanwhile
        return t;
    }

    private static long bound(Metadata.MetaFile rec) {
        return rec.length() != null ? rec.length() : NodeUpdate.MAX_METADATA_BYTES;
    }
}
