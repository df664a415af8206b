package org.veripack.repo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.veripack.core.DebianVersion;
import org.veripack.core.PackageVerifier;
import org.veripack.core.PolicyException;
import org.veripack.core.VerificationReport;
import org.veripack.repo.RepositoryFiles.Current;
import org.veripack.repo.tuf.CanonicalJson;
import org.veripack.repo.tuf.Metadata;
import org.veripack.repo.tuf.RepositoryException;
import org.veripack.repo.tuf.TufKey;

/**
 * The publisher side of a TUF repository (spec v1.0.x §4; docs/repository.md "Layout"): a directory served as it is
 * by any static web server, with {@code metadata/N.root.json}, {@code metadata/timestamp.json},
 * {@code metadata/N.snapshot.json}, {@code metadata/N.targets.json} (consistent snapshots, §5.5.1/§5.6.1) and
 * {@code targets/<sha256>.<name>}. Every change writes the new targets, then the new snapshot, then the timestamp
 * last by rename, so a client fetching while the publisher writes sees the old or the new repository.
 *
 * <p>This class is the publisher's API and the targets publication ({@code init}, {@code add}, {@code timestamp},
 * {@code rotate-root}); the parts: {@link RepositoryFiles} (reading the current metadata, writing in order, the
 * versions issued), {@link MetadataSigner} (role keys and signatures), {@link Publication} (targets, snapshot and
 * timestamp that publish a targets version) and {@link ThresholdStaging} (root and targets waiting for offline
 * signatures in {@code staged/}).
 *
 * <p>Errors: {@link PolicyException} for bad input (no keys, a threshold the key directory cannot meet; CLI exit 2),
 * {@link IOException} for the file system (exit 3); {@link Rejected} when a package does not verify (exit 1).
 */
public final class TufRepository {
    /** The four top-level roles (§2.1). */
    public enum Role {
        ROOT, TARGETS, SNAPSHOT, TIMESTAMP;

        public String id() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    /**
     * How many keys a role has and how many must sign (§4.3), and how long its metadata stays valid.
     *
     * @param keys      number of keys created for the role ({@code KEYDIR/<role>-<n>.pem})
     * @param threshold distinct keys that must sign, 1..keys
     * @param expiry    validity of each new version, from the publisher's clock
     */
    public record RoleSpec(int keys, int threshold, Duration expiry) {
        public RoleSpec {
            if (keys < 1 || threshold < 1 || threshold > keys) {
                throw new IllegalArgumentException("a role needs 1 <= threshold <= keys, not " + threshold + " of " + keys);
            }
            if (expiry.isNegative() || expiry.isZero()) {
                throw new IllegalArgumentException("expiry must be positive: " + expiry);
            }
        }
    }

    /** Defaults: one key each, threshold 1; root 365 d, targets 90 d, snapshot 7 d, timestamp 1 d. */
    public static Map<Role, RoleSpec> defaultRoles() {
        Map<Role, RoleSpec> m = new EnumMap<>(Role.class);
        m.put(Role.ROOT, new RoleSpec(1, 1, Duration.ofDays(365)));
        m.put(Role.TARGETS, new RoleSpec(1, 1, Duration.ofDays(90)));
        m.put(Role.SNAPSHOT, new RoleSpec(1, 1, Duration.ofDays(7)));
        m.put(Role.TIMESTAMP, new RoleSpec(1, 1, Duration.ofDays(1)));
        return m;
    }

    /** A package {@link #add} refused: the normal verifier did not accept it, so nothing was published. */
    public static final class Rejected extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient VerificationReport report;

        Rejected(VerificationReport report) {
            super("package not accepted by the verifier: " + report.verdict());
            this.report = report;
        }

        public VerificationReport report() { return report; }
    }

    /**
     * A package {@link #add} refused because the repository already lists that package name and version, or that target
     * name, with other bytes (nodes that installed it would be offered a different build under the same identity):
     * nothing was published; {@code replace} publishes it instead.
     *
     * @param target    the published target's name
     * @param published the published target's SHA-256 (hex)
     * @param offered   the refused package's SHA-256 (hex)
     */
    public static final class AlreadyPublished extends Exception {
        private static final long serialVersionUID = 1L;
        private final String target;
        private final String published;

        AlreadyPublished(String target, String identity, String published, String offered) {
            super(identity + " is already published as " + target + " (sha256 " + published + "); this package is sha256 " + offered);
            this.target = target;
            this.published = published;
        }

        public String target() { return target; }

        public String published() { return published; }
    }

    /**
     * What {@link #add} published: the target name, its file under {@code targets/}, and the versions afterwards.
     *
     * @param pending null when published; else the targets metadata staged because the key directory does not meet
     *                the targets threshold ({@code repo sign} completes it; snapshot and timestamp are unchanged)
     */
    public record Added(String target, Path file, long targetsVersion, long snapshotVersion, long timestampVersion, Pending pending) { }

    /**
     * Metadata of a threshold role waiting for signatures in {@code DIR/staged/} (docs/repository.md "Threshold
     * roles"): not part of the TUF layout, so clients never read it; {@link #sign} adds one signature at a time and
     * publishes it once the threshold is met (§4.3: root and targets are the roles whose keys are kept offline).
     *
     * @param role    {@code root} or {@code targets}
     * @param file    the staged file name, {@code N.root.json} or {@code N.targets.json}
     * @param version the staged version
     * @param needs   what is missing, e.g. {@code 1 more signature by the targets keys [keyid...]}
     */
    public record Pending(String role, String file, long version, String needs) { }

    /**
     * What {@link #rotateRoot} or {@link #sign} did.
     *
     * @param file    the metadata file signed, e.g. {@code 2.root.json}
     * @param pending null when it is published (and snapshot and timestamp renewed), else what it still needs
     */
    public record Signing(String file, Pending pending) { }

    /**
     * The changes of a new root version ({@code repo rotate-root}, §4.3 "root"): keys added to and removed from
     * roles, and new thresholds. A key no role lists any more leaves {@code keys}.
     *
     * @param add        public keys to add, by role
     * @param remove     key ids to remove, by role
     * @param thresholds new thresholds, by role
     */
    public record RootChange(Map<Role, List<TufKey>> add, Map<Role, List<String>> remove, Map<Role, Integer> thresholds) {
        public RootChange {
            add = Map.copyOf(add);
            remove = Map.copyOf(remove);
            thresholds = Map.copyOf(thresholds);
        }
    }

    /** One role's current metadata: version and expiry ({@link #status}). */
    public record RoleStatus(String role, String file, long version, Instant expires) { }

    public static final String SPEC_VERSION = "1.0.31";

    /**
     * What {@link #timestamp} issued.
     *
     * @param version the new timestamp's version
     * @param served  the version of the {@code metadata/timestamp.json} it replaced
     * @param issued  the highest timestamp version this repository issued before ({@code DIR/issued.json}); above
     *                {@code served} when that file was replaced by an older copy (restored, or replayed into the served
     *                directory): the new version is then above both, never one already used
     */
    public record Timestamped(long version, long served, long issued) {
        /** Whether the served {@code timestamp.json} was older than what the repository had issued. */
        public boolean servedOlder() { return served < issued; }
    }

    private final RepositoryFiles files;
    private final MetadataSigner signer;
    private final Publication publication;
    private final ThresholdStaging staging;

    private TufRepository(Path dir, RepositoryKeys keys, Clock clock) {
        this.files = new RepositoryFiles(dir);
        this.signer = new MetadataSigner(keys);
        this.publication = new Publication(signer, Objects.requireNonNull(clock, "clock"));
        this.staging = new ThresholdStaging(files, signer, publication);
    }

    /**
     * Opens an existing repository; {@code keys} may be empty for read-only use ({@link #status}).
     *
     * @throws NoSuchFileException when {@code dir} holds no {@code metadata/1.root.json}
     * @throws PolicyException     when the key directory is inside {@code dir} ({@link RepositoryKeys#requireOutside})
     */
    public static TufRepository open(Path dir, RepositoryKeys keys, Clock clock) throws IOException, PolicyException {
        if (!Files.isRegularFile(dir.resolve("metadata").resolve("1.root.json"))) {
            throw new NoSuchFileException(dir.toString(), null, "not a TUF repository (no metadata/1.root.json; run veripack repo init)");
        }
        RepositoryKeys.requireOutside(dir, keys.directory(), "--keys");
        return new TufRepository(dir, keys, clock);
    }

    /**
     * {@code repo init}: creates the keys missing in {@code keyDir}, then version 1 of root (consistent snapshots),
     * targets (no targets), snapshot and timestamp, each signed by its threshold.
     *
     * @throws PolicyException when {@code keyDir} is inside {@code dir} (private keys would be served), or the
     *                         repository already exists
     */
    public static TufRepository init(Path dir, Path keyDir, Map<Role, RoleSpec> roles, RepositoryKeys.KeyType keyType, Clock clock)
            throws IOException, PolicyException {
        return init(dir, keyDir, null, Set.of(), roles, keyType, clock);
    }

    /**
     * As {@link #init(Path, Path, Map, RepositoryKeys.KeyType, Clock)}, with {@code token}'s key as the first key of each
     * role in {@code tokenRoles} (the rest are {@code KEYDIR/<role>-2.pem}...): a role key kept in an HSM.
     */
    public static TufRepository init(Path dir, Path keyDir, RepositoryKeys.Token token, Set<Role> tokenRoles,
                                     Map<Role, RoleSpec> roles, RepositoryKeys.KeyType keyType, Clock clock)
            throws IOException, PolicyException {
        if (token == null && !tokenRoles.isEmpty()) {
            throw new PolicyException("roles " + tokenRoles + " on a token, but no token key");
        }
        RepositoryKeys.requireOutside(dir, keyDir, "--keys");
        if (Files.exists(dir.resolve("metadata").resolve("1.root.json"))) {
            throw new PolicyException(dir + " already holds a TUF repository (metadata/1.root.json)");
        }
        Files.createDirectories(dir.resolve("metadata"));
        Files.createDirectories(dir.resolve("targets"));
        RepositoryKeys k = RepositoryKeys.load(keyDir);
        if (token != null) {
            k.add(token);
        }
        TufRepository repo = new TufRepository(dir, k, clock);
        Instant now = repo.publication.now();
        ObjectNode root = MetadataSigner.signedBase("root", 1, now.plus(roles.get(Role.ROOT).expiry()));
        root.put("consistent_snapshot", true);
        ObjectNode keysNode = root.putObject("keys");
        ObjectNode rolesNode = root.putObject("roles");
        for (Role r : Role.values()) {
            RoleSpec spec = roles.get(r);
            ObjectNode rn = rolesNode.putObject(r.id());
            var ids = rn.putArray("keyids");
            int first = 1;
            if (tokenRoles.contains(r)) {
                TufKey key = TufKey.of(token.publicKey());
                keysNode.set(key.keyId(), key.json());
                ids.add(key.keyId());
                first = 2;
            }
            for (int i = first; i <= spec.keys(); i++) {
                TufKey key = k.createIfMissing(r.id() + "-" + i, keyType);
                keysNode.set(key.keyId(), key.json());
                ids.add(key.keyId());
            }
            rn.put("threshold", spec.threshold());
        }
        byte[] rootBytes = repo.signer.sign(root, root, Role.ROOT);
        RepositoryFiles.write(repo.files.metadataDir(), "1.root.json", rootBytes);
        ObjectNode targets = MetadataSigner.signedBase("targets", 1, now.plus(roles.get(Role.TARGETS).expiry()));
        targets.putObject("targets");
        repo.files.writeAll(repo.publication.files(root, repo.signer.sign(root, targets, Role.TARGETS), 1,
                roles.get(Role.SNAPSHOT).expiry(), roles.get(Role.TIMESTAMP).expiry(), 1, 1));
        return repo;
    }

    /**
     * {@code repo add}: verifies {@code pkg} with {@code verifier} (the normal package verifier under the
     * publisher's trust policy) and, only when it is ACCEPTED, copies it to {@code targets/<sha256>.<file name>} and
     * publishes targets, snapshot and timestamp with the next versions. The target's {@code custom.veripack} records
     * the package name, version, format, vendor signer fingerprint and verification time.
     *
     * <p>When the key directory holds fewer targets keys than the targets threshold (offline key holders, e.g.
     * "vendor + operator security team" 2 of 2), the new targets version is staged with the signatures it has
     * ({@link Added#pending()}) and published by {@link #sign} once the threshold is met.
     *
     * @throws Rejected       when the verifier does not accept the package (nothing is written)
     * @throws PolicyException when metadata is already staged, or the key directory lacks a snapshot or timestamp key
     */
    public Added add(Path pkg, PackageVerifier verifier, Duration targetsExpiry, Duration snapshotExpiry, Duration timestampExpiry)
            throws IOException, PolicyException, Rejected, AlreadyPublished {
        return add(pkg, verifier, targetsExpiry, snapshotExpiry, timestampExpiry, false);
    }

    /**
     * As {@link #add(Path, PackageVerifier, Duration, Duration, Duration)}; a package whose name and version (equal in
     * Debian ordering), or whose
     * target name, the repository already lists with other bytes is {@link AlreadyPublished} unless {@code replace},
     * which drops those listings and publishes this one.
     */
    public Added add(Path pkg, PackageVerifier verifier, Duration targetsExpiry, Duration snapshotExpiry, Duration timestampExpiry,
                     boolean replace) throws IOException, PolicyException, Rejected, AlreadyPublished {
        String name = pkg.getFileName().toString();
        if (name.contains("/") || name.startsWith(".")) {
            throw new PolicyException("target name " + name + ": a package file name without a leading dot");
        }
        // the private copy (a 0700 directory the web server cannot read) is what is verified and then published: the
        // package file may change after it is read, and a path verified and then copied again could publish bytes that
        // were never verified
        Path work = Files.createTempDirectory(files.targetsDir(), ".add-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path tmp = work.resolve(name);
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long length;
            try (InputStream in = Files.newInputStream(pkg)) {
                length = Files.copy(new DigestInputStream(in, sha), tmp);
            }
            String hex = HexFormat.of().formatHex(sha.digest());
            VerificationReport report = verifier.verifyCsar(tmp);
            if (!report.accepted() || report.identity().isEmpty()) {
                throw new Rejected(report);
            }
            staging.requireNothingStaged();
            Current cur = files.current();
            var id = report.identity().get();
            ObjectNode targets = cur.targets().signed().deepCopy();
            ObjectNode listed = (ObjectNode) targets.get("targets");
            List<String> sameIdentity = new ArrayList<>();
            for (Metadata.TargetFile f : cur.targets().targets(TrustedState.TARGETS).values()) {
                if (f.name().equals(name) || (id.name().equals(NodeUpdate.customName(f)) && DebianVersion.same(id.version(), NodeUpdate.customVersion(f)))) {
                    String published = f.hashes().get("sha256");
                    if (!replace && !hex.equalsIgnoreCase(published)) {
                        throw new AlreadyPublished(f.name(), id.name() + " " + id.version(), published, hex);
                    }
                    sameIdentity.add(f.name());
                }
            }
            listed.remove(sameIdentity);
            Path file = files.targetsDir().resolve(hex + "." + name);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            long v = files.nextTargets(cur);
            targets.put("version", v);
            targets.put("expires", publication.now().plus(targetsExpiry).toString());
            ObjectNode t = ((ObjectNode) targets.get("targets")).putObject(name);
            t.put("length", length);
            t.putObject("hashes").put("sha256", hex);
            ObjectNode custom = t.putObject("custom").putObject("veripack");
            custom.put("name", id.name());
            custom.put("version", id.version());
            custom.put("format", report.format().name());
            custom.put("signer", report.signers().isEmpty() ? null : report.signers().get(0).fingerprintSha256());
            custom.put("verifiedAt", report.verificationTime().toString());
            byte[] targetsBytes = Metadata.document(targets, signer.signatures(cur.root().signed(), Role.TARGETS, CanonicalJson.encode(targets)));
            if (!staging.complete(cur, Role.TARGETS, targetsBytes)) {
                Pending p = staging.stage(cur, Role.TARGETS, v + ".targets.json", targetsBytes);
                return new Added(name, file, v, cur.snapshot().version(), cur.timestamp().version(), p);
            }
            long sv = files.nextSnapshot(cur);
            long tsv = files.nextTimestamp(cur);
            files.writeAll(publication.files(cur.root().signed(), targetsBytes, v, snapshotExpiry, timestampExpiry, sv, tsv));
            return new Added(name, file, v, sv, tsv, null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        } catch (RepositoryException e) {
            throw new IOException(files.directory() + ": " + e.getMessage(), e);
        } finally {
            Files.deleteIfExists(tmp);
            Files.deleteIfExists(work);
        }
    }

    /**
     * {@code repo timestamp}: the current snapshot under a new timestamp version with a new expiry (for cron). The
     * version is above the served {@code timestamp.json} and above every timestamp this repository issued, so a
     * {@code timestamp.json} replaced by an older copy never makes it issue a version number twice (§5.4.3: a client
     * that trusted version N takes a different N as no change).
     */
    public Timestamped timestamp(Duration timestampExpiry) throws IOException, PolicyException {
        Current cur = files.current();
        byte[] snapshotBytes = Files.readAllBytes(files.metadataDir().resolve(cur.snapshot().version() + ".snapshot.json"));
        long issued = files.issuedTimestamp();
        long v = files.nextTimestamp(cur);
        files.writeAll(Map.of(RepositoryFiles.TIMESTAMP, publication.timestamp(cur.root().signed(), snapshotBytes,
                cur.snapshot().version(), v, publication.now().plus(timestampExpiry))));
        return new Timestamped(v, cur.timestamp().version(), issued);
    }

    /** {@code repo status}: each role's current file, version and expiry. */
    public List<RoleStatus> status() throws IOException {
        Current cur = files.current();
        return List.of(new RoleStatus("root", cur.root().version() + ".root.json", cur.root().version(), cur.root().expires()),
                new RoleStatus("targets", cur.targets().version() + ".targets.json", cur.targets().version(), cur.targets().expires()),
                new RoleStatus("snapshot", cur.snapshot().version() + ".snapshot.json", cur.snapshot().version(), cur.snapshot().expires()),
                new RoleStatus("timestamp", "timestamp.json", cur.timestamp().version(), cur.timestamp().expires()));
    }

    /** The targets of the current targets metadata, by name. */
    public Map<String, Metadata.TargetFile> targets() throws IOException {
        try {
            return files.current().targets().targets("targets.json");
        } catch (RepositoryException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    public Path directory() { return files.directory(); }

    /** The staged files ({@code N.root.json}, {@code N.targets.json}) and what each still needs. */
    public List<Pending> staged() throws IOException {
        return staging.staged();
    }

    /**
     * {@code repo sign}: adds the signature of {@code key} (an offline key holder's) to the staged metadata of
     * {@code role} and publishes it once its threshold is met: targets with a new snapshot and timestamp; a root as
     * {@code metadata/N.root.json}, then the targets re-signed when their keys changed, and a new snapshot and
     * timestamp signed by the new root's keys (§5.3.11: a client that saw the timestamp or snapshot keys rotate
     * fetches them again). Signing twice with the same key replaces its signature.
     *
     * @param key a private key the repository's root lists for {@code role} (for root: the current root's or the staged
     *            root's root keys); a PEM key or a PKCS#11 token's key
     * @throws PolicyException when nothing is staged for {@code role}, the key is not one of its keys, or publishing
     *                         needs a snapshot, timestamp or targets key the key directory lacks (the signature is
     *                         kept in the staged file)
     */
    public Signing sign(Role role, PrivateKey key, PublicKey publicKey, Duration snapshotExpiry, Duration timestampExpiry)
            throws IOException, PolicyException {
        return staging.sign(role, key, publicKey, snapshotExpiry, timestampExpiry);
    }

    /**
     * {@code repo rotate-root}: the next root version: the current root with {@code change} applied and a new expiry,
     * signed by every key of the key directory that is a root key of the current root or of the new one. Published
     * (as by {@link #sign}) when it carries a threshold of both (§5.3.4); else staged for {@link #sign}.
     *
     * @throws PolicyException when metadata is already staged, a role would have a threshold above its key count or
     *                         below 1, a removed key id is not in the role, or publishing needs a key the directory
     *                         lacks
     */
    public Signing rotateRoot(RootChange change, Duration rootExpiry, Duration snapshotExpiry, Duration timestampExpiry)
            throws IOException, PolicyException {
        staging.requireNothingStaged();
        Current cur = files.current();
        ObjectNode root = cur.root().signed().deepCopy();
        long v = cur.root().version() + 1;
        root.put("version", v);
        root.put("expires", publication.now().plus(rootExpiry).toString());
        ObjectNode keysNode = (ObjectNode) root.get("keys");
        for (Role r : Role.values()) {
            ObjectNode rn = (ObjectNode) root.path("roles").path(r.id());
            List<String> ids = new ArrayList<>();
            rn.path("keyids").forEach(i -> ids.add(i.asText()));
            for (String id : change.remove().getOrDefault(r, List.of())) {
                if (!ids.remove(id)) {
                    throw new PolicyException("--remove-key " + r.id() + "=" + id + ": not a key of the " + r.id() + " role " + ids);
                }
            }
            for (TufKey k : change.add().getOrDefault(r, List.of())) {
                if (!ids.contains(k.keyId())) {
                    ids.add(k.keyId());
                    keysNode.set(k.keyId(), k.json());
                }
            }
            var arr = rn.putArray("keyids");
            ids.forEach(arr::add);
            int t = change.thresholds().getOrDefault(r, rn.path("threshold").asInt());
            if (t < 1 || t > ids.size()) {
                throw new PolicyException("the " + r.id() + " role would need " + t + " of " + ids.size() + " keys: 1 <= threshold <= keys");
            }
            rn.put("threshold", t);
        }
        Set<String> used = new HashSet<>();
        root.path("roles").forEach(rn -> rn.path("keyids").forEach(i -> used.add(i.asText())));
        keysNode.retain(used);
        byte[] data = CanonicalJson.encode(root);
        Map<String, Metadata.Sig> sigs = new LinkedHashMap<>();
        for (Metadata.Sig x : signer.signatures(cur.root().signed(), Role.ROOT, data)) {
            sigs.put(x.keyId(), x);
        }
        for (Metadata.Sig x : signer.signatures(root, Role.ROOT, data)) {
            sigs.putIfAbsent(x.keyId(), x);
        }
        byte[] bytes = Metadata.document(root, new ArrayList<>(sigs.values()));
        String name = v + ".root.json";
        if (!staging.complete(cur, Role.ROOT, bytes)) {
            return new Signing(name, staging.stage(cur, Role.ROOT, name, bytes));
        }
        staging.publish(cur, Role.ROOT, name, bytes, snapshotExpiry, timestampExpiry);
        return new Signing(name, null);
    }
}
