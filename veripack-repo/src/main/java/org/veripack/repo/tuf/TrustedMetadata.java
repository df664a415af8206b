package org.veripack.repo.tuf;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.veripack.core.FindingCode;

/**
 * The TUF client's decision core (spec v1.0.x §5 "Detailed client workflow"), pure and I/O-free like the package
 * verifier: trusted metadata in, new metadata bytes in, a new trusted state or a {@link RepositoryException} (its
 * finding code) out. Immutable: a refused document leaves the caller's state as it was. The caller
 * ({@code NodeUpdate}) fetches the files in the order of §5 with their size bounds and persists the state.
 *
 * <p>Signatures: a role's metadata is trusted when at least {@code threshold} distinct keys of the role (by key
 * content, not key id: a key listed under two ids counts once) verified a signature over the canonical
 * {@code signed} bytes (§4.3, §5.3.4).
 */
public final class TrustedMetadata {
    /** Raw bytes and parsed form of one trusted document. */
    public record Trusted(byte[] bytes, Metadata metadata) { }

    public static final String ROOT = "root", TIMESTAMP = "timestamp", SNAPSHOT = "snapshot", TARGETS = "targets";

    private final Trusted root;
    private final Trusted timestamp;
    private final Trusted snapshot;
    private final Trusted targets;

    private TrustedMetadata(Trusted root, Trusted timestamp, Trusted snapshot, Trusted targets) {
        this.root = Objects.requireNonNull(root);
        this.timestamp = timestamp;
        this.snapshot = snapshot;
        this.targets = targets;
    }

    /**
     * §5.2 "Load the trusted root metadata file": the pinned (or last trusted) root, which must carry a threshold of
     * signatures by its own root keys. Its expiry is not checked here (§5.3.10 checks the newest root).
     */
    public static TrustedMetadata fromRoot(byte[] rootBytes) throws RepositoryException {
        Metadata m = Metadata.parse("root.json", rootBytes, ROOT);
        verifyRole("root.json", m, m, ROOT);
        return new TrustedMetadata(new Trusted(rootBytes.clone(), m), null, null, null);
    }

    /**
     * The state persisted by an earlier run, re-read: each document is checked against the trusted root's keys and,
     * where its parent names it, against its parent (§5.4.3, §5.5.4, §5.6.4), but not for expiry, since it serves only
     * as the floor of the rollback checks. A snapshot the trusted timestamp does not name (the run that trusted a new
     * timestamp ended before it had the new snapshot, §5.4.5) is kept as the floor of §5.5.5; a targets file the
     * trusted snapshot does not name is dropped (no check uses it as a floor; it is downloaded again). {@code null}
     * for what was never trusted.
     */
    public static TrustedMetadata restore(byte[] rootBytes, byte[] timestampBytes, byte[] snapshotBytes, byte[] targetsBytes)
            throws RepositoryException {
        TrustedMetadata t = fromRoot(rootBytes);
        if (timestampBytes == null) {
            return t;
        }
        t = t.withTimestamp(timestampBytes, null);
        if (snapshotBytes == null) {
            return t;
        }
        Metadata s = Metadata.parse("snapshot.json", snapshotBytes, SNAPSHOT);
        if (s.version() != t.timestamp.metadata().meta("timestamp.json", "snapshot.json").version()) {
            verifyRole("snapshot.json", t.root.metadata(), s, SNAPSHOT); // the floor of §5.5.5 only
            return new TrustedMetadata(t.root, t.timestamp, new Trusted(snapshotBytes.clone(), s), null);
        }
        t = t.withSnapshot(snapshotBytes, null);
        if (targetsBytes == null || !t.snapshot.metadata().metaNames().contains("targets.json")
                || Metadata.parse("targets.json", targetsBytes, TARGETS).version()
                        != t.snapshot.metadata().meta("snapshot.json", "targets.json").version()) {
            return t;
        }
        return t.withTargets(targetsBytes, null);
    }

    public Trusted root() { return root; }
    public Trusted timestamp() { return timestamp; }
    public Trusted snapshot() { return snapshot; }
    public Trusted targets() { return targets; }

    /** Whether the trusted root uses consistent snapshots (§4.3), i.e. versioned file names (§5.5.1, §5.6.1, §5.7.3). */
    public boolean consistentSnapshot() { return root.metadata().consistentSnapshot(); }

    /**
     * §5.3.4–§5.3.5 "Update the root metadata file": {@code newRoot} (the file {@code N+1.root.json}) must be signed
     * by a threshold of the trusted root's root keys and by a threshold of its own root keys, and its version must be
     * exactly the trusted version + 1. §5.3.11: when the timestamp or snapshot keys changed, the trusted timestamp and
     * snapshot are dropped (fast-forward attack recovery). Expiry is checked by {@link #checkRootFresh} after the chain.
     */
    public TrustedMetadata withRoot(byte[] newRoot) throws RepositoryException {
        String subject = (root.metadata().version() + 1) + ".root.json";
        Metadata m = Metadata.parse(subject, newRoot, ROOT);
        verifyRole(subject, root.metadata(), m, ROOT); // §5.3.4: signed by the trusted root's keys
        verifyRole(subject, m, m, ROOT); //                §5.3.4: and by the new root's own keys
        if (m.version() != root.metadata().version() + 1) { // §5.3.5: no rollback, no skipping
            throw new RepositoryException(FindingCode.REPO_ROLLBACK, subject, "root version is not the next one",
                    String.valueOf(root.metadata().version() + 1), String.valueOf(m.version()));
        }
        boolean rotated = !sameKeys(root.metadata(), m, TIMESTAMP) || !sameKeys(root.metadata(), m, SNAPSHOT);
        Trusted r = new Trusted(newRoot.clone(), m);
        return rotated ? new TrustedMetadata(r, null, null, targets) : new TrustedMetadata(r, timestamp, snapshot, targets);
    }

    /** §5.3.10: the newest trusted root must not be expired at {@code now} (freeze attack). */
    public void checkRootFresh(Instant now) throws RepositoryException {
        checkExpiry(root.metadata().version() + ".root.json", root.metadata(), now);
    }

    /**
     * §5.4 "Update the timestamp role": signed by a threshold of the root's timestamp keys (§5.4.2); its version not
     * lower than the trusted timestamp's, nor its snapshot version lower than the trusted timestamp's (§5.4.3); not
     * expired (§5.4.4). A timestamp with the trusted version must be byte-identical to the trusted one and means
     * nothing changed: the state is returned unchanged.
     *
     * @param now the node's clock; {@code null} only when restoring persisted state
     */
    public TrustedMetadata withTimestamp(byte[] bytes, Instant now) throws RepositoryException {
        String subject = "timestamp.json";
        Metadata m = Metadata.parse(subject, bytes, TIMESTAMP);
        verifyRole(subject, root.metadata(), m, TIMESTAMP); // §5.4.2
        Metadata.MetaFile snap = m.meta(subject, "snapshot.json");
        if (timestamp != null) {
            Metadata old = timestamp.metadata();
            if (m.version() < old.version()) { // §5.4.3.1
                throw new RepositoryException(FindingCode.REPO_ROLLBACK, subject, "timestamp version lower than the trusted one",
                        ">= " + old.version(), String.valueOf(m.version()));
            }
            long oldSnap = old.meta(subject, "snapshot.json").version();
            if (snap.version() < oldSnap) { // §5.4.3.2
                throw new RepositoryException(FindingCode.REPO_ROLLBACK, subject, "snapshot version in the timestamp lower than the trusted one",
                        ">= " + oldSnap, String.valueOf(snap.version()));
            }
            if (m.version() == old.version() && !java.util.Arrays.equals(bytes, timestamp.bytes())) {
                throw new RepositoryException(FindingCode.REPO_METADATA_MISMATCH, subject,
                        "a different timestamp with the trusted version number");
            }
        }
        checkExpiry(subject, m, now); // §5.4.4
        if (timestamp != null && m.version() == timestamp.metadata().version()) {
            return this;
        }
        // a new snapshot version: the trusted snapshot stays only as the floor of §5.5.5's checks
        return new TrustedMetadata(root, new Trusted(bytes.clone(), m), snapshot, targets);
    }

    /**
     * §5.5 "Update the snapshot role": length and hashes as the timestamp records them (§5.5.2), signed by a threshold
     * of the root's snapshot keys (§5.5.3), version equal to the timestamp's record (§5.5.4, mix-and-match), no
     * targets file of the trusted snapshot missing or with a lower version (§5.5.5), not expired (§5.5.6).
     */
    public TrustedMetadata withSnapshot(byte[] bytes, Instant now) throws RepositoryException {
        requireParent(timestamp, "snapshot");
        String subject = "snapshot.json";
        Metadata.MetaFile expected = timestamp.metadata().meta("timestamp.json", "snapshot.json");
        checkMetaBytes(subject, bytes, expected); // §5.5.2
        Metadata m = Metadata.parse(subject, bytes, SNAPSHOT);
        verifyRole(subject, root.metadata(), m, SNAPSHOT); // §5.5.3
        if (m.version() != expected.version()) { // §5.5.4
            throw new RepositoryException(FindingCode.REPO_METADATA_MISMATCH, subject, "snapshot version differs from the timestamp's record",
                    String.valueOf(expected.version()), String.valueOf(m.version()));
        }
        if (snapshot != null) { // §5.5.5
            for (String name : snapshot.metadata().metaNames()) {
                long oldV = snapshot.metadata().meta(subject, name).version();
                if (!m.metaNames().contains(name)) {
                    throw new RepositoryException(FindingCode.REPO_ROLLBACK, subject, name + " dropped from the snapshot");
                }
                long newV = m.meta(subject, name).version();
                if (newV < oldV) {
                    throw new RepositoryException(FindingCode.REPO_ROLLBACK, subject, name + " version lower than the trusted one",
                            ">= " + oldV, String.valueOf(newV));
                }
            }
        }
        checkExpiry(subject, m, now); // §5.5.6
        return new TrustedMetadata(root, timestamp, new Trusted(bytes.clone(), m), targets);
    }

    /**
     * §5.6 "Update the targets role": length and hashes as the snapshot records them, when it does (§5.6.2), signed by
     * a threshold of the root's targets keys (§5.6.3), version equal to the snapshot's record (§5.6.4, mix-and-match),
     * not expired (§5.6.5).
     */
    public TrustedMetadata withTargets(byte[] bytes, Instant now) throws RepositoryException {
        requireParent(snapshot, "targets");
        String subject = "targets.json";
        if (!snapshot.metadata().metaNames().contains("targets.json")) {
            throw Metadata.malformed("snapshot.json", "snapshot does not list targets.json");
        }
        Metadata.MetaFile expected = snapshot.metadata().meta("snapshot.json", "targets.json");
        checkMetaBytes(subject, bytes, expected); // §5.6.2
        Metadata m = Metadata.parse(subject, bytes, TARGETS);
        verifyRole(subject, root.metadata(), m, TARGETS); // §5.6.3
        if (m.version() != expected.version()) { // §5.6.4
            throw new RepositoryException(FindingCode.REPO_METADATA_MISMATCH, subject, "targets version differs from the snapshot's record",
                    String.valueOf(expected.version()), String.valueOf(m.version()));
        }
        m.targets(subject); // every entry well-formed before anything is trusted
        checkExpiry(subject, m, now); // §5.6.5
        return new TrustedMetadata(root, timestamp, snapshot, new Trusted(bytes.clone(), m));
    }

    /**
     * Whether the trusted snapshot is the one the trusted timestamp names and the trusted targets the one the
     * snapshot names, i.e. nothing must be downloaded after the timestamp (§5.5.1, §5.6.1 skip when unchanged).
     */
    public boolean snapshotCurrent() throws RepositoryException {
        return snapshot != null && timestamp != null
                && snapshot.metadata().version() == timestamp.metadata().meta("timestamp.json", "snapshot.json").version();
    }

    public boolean targetsCurrent() throws RepositoryException {
        return targets != null && snapshotCurrent() && snapshot.metadata().metaNames().contains("targets.json")
                && targets.metadata().version() == snapshot.metadata().meta("snapshot.json", "targets.json").version();
    }

    /** The trusted snapshot and targets re-checked for expiry at {@code now} when they were not re-downloaded (§5.5.6, §5.6.5). */
    public void checkFresh(Instant now) throws RepositoryException {
        checkRootFresh(now);
        checkExpiry("timestamp.json", timestamp.metadata(), now);
        checkExpiry("snapshot.json", snapshot.metadata(), now);
        checkExpiry("targets.json", targets.metadata(), now);
    }

    /**
     * §5.7.3: a downloaded target must have exactly the signed length and every signed hash this client computes
     * (sha256, sha512) must match; at least one of them must be signed.
     *
     * @param hashes the computed digests, lower-case hex, by TUF hash name
     * @throws RepositoryException {@code REPO_TARGET_MISMATCH}
     */
    public static void checkTarget(Metadata.TargetFile target, long length, Map<String, String> hashes) throws RepositoryException {
        if (length != target.length()) {
            throw new RepositoryException(FindingCode.REPO_TARGET_MISMATCH, target.name(), "length differs from the signed targets metadata",
                    String.valueOf(target.length()), String.valueOf(length));
        }
        checkHashes(target.name(), FindingCode.REPO_TARGET_MISMATCH, target.hashes(), hashes);
    }

    private static void checkMetaBytes(String subject, byte[] bytes, Metadata.MetaFile expected) throws RepositoryException {
        if (expected.length() != null && expected.length() != bytes.length) {
            throw new RepositoryException(FindingCode.REPO_METADATA_MISMATCH, subject, "length differs from the signed record",
                    String.valueOf(expected.length()), String.valueOf(bytes.length));
        }
        if (expected.hashes() != null) {
            checkHashes(subject, FindingCode.REPO_METADATA_MISMATCH, expected.hashes(), digests(bytes));
        }
    }

    /** sha256 and sha512 of {@code bytes}, lower-case hex, by TUF hash name. */
    public static Map<String, String> digests(byte[] bytes) {
        try {
            return Map.of("sha256", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)),
                    "sha512", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-512").digest(bytes)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void checkHashes(String subject, FindingCode code, Map<String, String> signed, Map<String, String> computed)
            throws RepositoryException {
        int checked = 0;
        for (Map.Entry<String, String> e : signed.entrySet()) {
            String actual = computed.get(e.getKey());
            if (actual == null) {
                continue; // an algorithm this client does not compute; another signed one must match
            }
            if (!actual.equalsIgnoreCase(e.getValue())) {
                throw new RepositoryException(code, subject, e.getKey() + " differs from the signed hash", e.getValue(), actual);
            }
            checked++;
        }
        if (checked == 0) {
            throw Metadata.malformed(subject, "no sha256 or sha512 among the signed hashes " + signed.keySet());
        }
    }

    private static void requireParent(Trusted parent, String role) throws RepositoryException {
        if (parent == null) {
            throw new IllegalStateException(role + " before its parent metadata: call the §5 steps in order");
        }
    }

    private static void checkExpiry(String subject, Metadata m, Instant now) throws RepositoryException {
        if (now != null && !now.isBefore(m.expires())) {
            throw new RepositoryException(FindingCode.REPO_EXPIRED, subject, m.type() + " metadata expired",
                    "after " + now, m.expires().toString());
        }
    }

    private static boolean sameKeys(Metadata a, Metadata b, String role) throws RepositoryException {
        return keySet(a, role).equals(keySet(b, role));
    }

    private static Set<TufKey> keySet(Metadata root, String role) throws RepositoryException {
        Map<String, TufKey> keys = root.keys("root.json");
        Set<TufKey> out = new HashSet<>();
        for (String id : root.role("root.json", role).keyIds()) {
            if (keys.containsKey(id)) {
                out.add(keys.get(id));
            }
        }
        return out;
    }

    /**
     * §4.3/§5.3.4: at least {@code threshold} distinct keys of {@code role} in {@code delegator} verified a signature
     * of {@code m}. Too few: {@code REPO_SIGNATURE_INVALID} when some signature by a key of the role did not verify
     * (a changed byte), else {@code REPO_THRESHOLD_UNMET}. The publisher uses it to decide whether staged metadata
     * has its threshold (the client's own rule, not a second one).
     *
     * @param subject   the file name, for findings
     * @param delegator the root metadata listing the role's keys and threshold
     * @param m         the metadata whose signatures are counted
     * @param role      {@code root}, {@code timestamp}, {@code snapshot} or {@code targets}
     */
    public static void verifyRole(String subject, Metadata delegator, Metadata m, String role) throws RepositoryException {
        Map<String, TufKey> keys = delegator.keys(subject);
        Metadata.Role r = delegator.role(subject, role);
        byte[] data = m.canonicalSigned();
        Set<TufKey> valid = new HashSet<>();
        int bad = 0;
        for (Metadata.Sig s : m.signatures()) {
            TufKey k = r.keyIds().contains(s.keyId()) ? keys.get(s.keyId()) : null;
            if (k == null) {
                continue; // not a key of the role: ignored (§5.3.4)
            }
            if (k.verifies(data, s.value())) {
                valid.add(k);
            } else {
                bad++;
            }
        }
        if (valid.size() < r.threshold()) {
            throw new RepositoryException(bad > 0 ? FindingCode.REPO_SIGNATURE_INVALID : FindingCode.REPO_THRESHOLD_UNMET, subject,
                    (bad > 0 ? bad + " signature(s) by keys of the " + role + " role do not verify; " : "")
                            + "distinct " + role + " keys that signed", String.valueOf(r.threshold()), String.valueOf(valid.size()));
        }
    }
}
