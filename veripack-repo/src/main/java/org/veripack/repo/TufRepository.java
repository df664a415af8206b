package org.veripack.repo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.veripack.core.PackageVerifier;
import org.veripack.core.PolicyException;
import org.veripack.core.VerificationReport;
import org.veripack.repo.tuf.CanonicalJson;
import org.veripack.repo.tuf.Metadata;
import org.veripack.repo.tuf.RepositoryException;
import org.veripack.repo.tuf.TrustedMetadata;
import org.veripack.repo.tuf.TufKey;

/**
 * The publisher side of a TUF repository (spec v1.0.x §4; docs/repository.md "Layout"): a directory served as it is
 * by any static web server, with {@code metadata/N.root.json}, {@code metadata/timestamp.json},
 * {@code metadata/N.snapshot.json}, {@code metadata/N.targets.json} (consistent snapshots, §5.5.1/§5.6.1) and
 * {@code targets/<sha256>.<name>}. Every change writes the new targets, then the new snapshot, then the timestamp
 * last by rename, so a client fetching while the publisher writes sees the old or the new repository.
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

    /** What {@link #add} published: the target name, its file under {@code targets/}, and the new versions. */
    public record Added(String target, Path file, long targetsVersion, long snapshotVersion, long timestampVersion) { }

    /** One role's current metadata: version and expiry ({@link #status}). */
    public record RoleStatus(String role, String file, long version, Instant expires) { }

    public static final String SPEC_VERSION = "1.0.31";

    private final Path dir;
    private final RepositoryKeys keys;
    private final Clock clock;

    private TufRepository(Path dir, RepositoryKeys keys, Clock clock) {
        this.dir = dir;
        this.keys = keys;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Opens an existing repository; {@code keys} may be empty for read-only use ({@link #status}).
     *
     * @throws NoSuchFileException when {@code dir} holds no {@code metadata/1.root.json}
     */
    public static TufRepository open(Path dir, RepositoryKeys keys, Clock clock) throws IOException {
        if (!Files.isRegularFile(dir.resolve("metadata").resolve("1.root.json"))) {
            throw new NoSuchFileException(dir.toString(), null, "not a TUF repository (no metadata/1.root.json; run veripack repo init)");
        }
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
        Path absDir = dir.toAbsolutePath().normalize();
        if (keyDir.toAbsolutePath().normalize().startsWith(absDir)) {
            throw new PolicyException("--keys " + keyDir + " is inside the repository " + dir + ", which is served as it is: keep the keys elsewhere");
        }
        if (Files.exists(dir.resolve("metadata").resolve("1.root.json"))) {
            throw new PolicyException(dir + " already holds a TUF repository (metadata/1.root.json)");
        }
        Files.createDirectories(dir.resolve("metadata"));
        Files.createDirectories(dir.resolve("targets"));
        RepositoryKeys k = RepositoryKeys.load(keyDir);
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        ObjectNode root = signedBase("root", 1, now.plus(roles.get(Role.ROOT).expiry()));
        root.put("consistent_snapshot", true);
        ObjectNode keysNode = root.putObject("keys");
        ObjectNode rolesNode = root.putObject("roles");
        for (Role r : Role.values()) {
            RoleSpec spec = roles.get(r);
            ObjectNode rn = rolesNode.putObject(r.id());
            var ids = rn.putArray("keyids");
            for (int i = 1; i <= spec.keys(); i++) {
                TufKey key = k.createIfMissing(r.id() + "-" + i, keyType);
                keysNode.set(key.keyId(), key.json());
                ids.add(key.keyId());
            }
            rn.put("threshold", spec.threshold());
        }
        TufRepository repo = new TufRepository(dir, k, clock);
        byte[] rootBytes = repo.sign(root, root, Role.ROOT);
        repo.write("1.root.json", rootBytes);
        ObjectNode targets = signedBase("targets", 1, now.plus(roles.get(Role.TARGETS).expiry()));
        targets.putObject("targets");
        repo.publish(root, targets, roles.get(Role.SNAPSHOT).expiry(), roles.get(Role.TIMESTAMP).expiry(), 1, 1);
        return repo;
    }

    /**
     * {@code repo add}: verifies {@code pkg} with {@code verifier} (the normal package verifier under the
     * publisher's trust policy) and, only when it is ACCEPTED, copies it to {@code targets/<sha256>.<file name>} and
     * publishes targets, snapshot and timestamp with the next versions. The target's {@code custom.veripack} records
     * the package name, version, format, vendor signer fingerprint and verification time.
     *
     * @throws Rejected       when the verifier does not accept the package (nothing is written)
     * @throws PolicyException when the key directory lacks the keys to meet a threshold
     */
    public Added add(Path pkg, PackageVerifier verifier, Duration targetsExpiry, Duration snapshotExpiry, Duration timestampExpiry)
            throws IOException, PolicyException, Rejected {
        VerificationReport report = verifier.verifyCsar(pkg);
        if (!report.accepted() || report.identity().isEmpty()) {
            throw new Rejected(report);
        }
        String name = pkg.getFileName().toString();
        if (name.contains("/") || name.startsWith(".")) {
            throw new PolicyException("target name " + name + ": a package file name without a leading dot");
        }
        Current cur = current();
        byte[] digest;
        long length;
        Path tmp = Files.createTempFile(dir.resolve("targets"), ".add-", ".tmp");
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(pkg)) {
                length = Files.copy(new java.security.DigestInputStream(in, sha), tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            digest = sha.digest();
            String hex = HexFormat.of().formatHex(digest);
            Path file = dir.resolve("targets").resolve(hex + "." + name);
            Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            ObjectNode targets = cur.targets.signed().deepCopy();
            long v = cur.targets.version() + 1;
            targets.put("version", v);
            targets.put("expires", clock.instant().truncatedTo(ChronoUnit.SECONDS).plus(targetsExpiry).toString());
            ObjectNode t = ((ObjectNode) targets.get("targets")).putObject(name);
            t.put("length", length);
            t.putObject("hashes").put("sha256", hex);
            ObjectNode custom = t.putObject("custom").putObject("veripack");
            var id = report.identity().get();
            custom.put("name", id.name());
            custom.put("version", id.version());
            custom.put("format", report.format().name());
            custom.put("signer", report.signers().isEmpty() ? null : report.signers().get(0).fingerprintSha256());
            custom.put("verifiedAt", report.verificationTime().toString());
            long[] versions = publish(cur.root.signed(), targets, snapshotExpiry, timestampExpiry, cur.snapshot.version() + 1,
                    cur.timestamp.version() + 1);
            return new Added(name, file, v, versions[0], versions[1]);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** {@code repo timestamp}: the same snapshot under a new timestamp version with a new expiry (for cron). */
    public long timestamp(Duration timestampExpiry) throws IOException, PolicyException {
        Current cur = current();
        byte[] snapshotBytes = Files.readAllBytes(metadataDir().resolve(cur.snapshot.version() + ".snapshot.json"));
        long v = cur.timestamp.version() + 1;
        write("timestamp.json", sign(cur.root.signed(), timestampOf(snapshotBytes, cur.snapshot.version(), v,
                clock.instant().truncatedTo(ChronoUnit.SECONDS).plus(timestampExpiry)), Role.TIMESTAMP));
        return v;
    }

    /** {@code repo status}: each role's current file, version and expiry. */
    public List<RoleStatus> status() throws IOException {
        Current cur = current();
        return List.of(new RoleStatus("root", cur.root.version() + ".root.json", cur.root.version(), cur.root.expires()),
                new RoleStatus("targets", cur.targets.version() + ".targets.json", cur.targets.version(), cur.targets.expires()),
                new RoleStatus("snapshot", cur.snapshot.version() + ".snapshot.json", cur.snapshot.version(), cur.snapshot.expires()),
                new RoleStatus("timestamp", "timestamp.json", cur.timestamp.version(), cur.timestamp.expires()));
    }

    /** The targets of the current targets metadata, by name. */
    public Map<String, Metadata.TargetFile> targets() throws IOException {
        try {
            return current().targets.targets("targets.json");
        } catch (RepositoryException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    public Path directory() { return dir; }

    private Path metadataDir() { return dir.resolve("metadata"); }

    private record Current(Metadata root, Metadata timestamp, Metadata snapshot, Metadata targets) { }

    /** The repository's current metadata, read through the timestamp (no signature checks: the publisher's own files). */
    private Current current() throws IOException {
        try {
            long rv = 1;
            while (Files.exists(metadataDir().resolve((rv + 1) + ".root.json"))) {
                rv++;
            }
            Metadata root = Metadata.parse(rv + ".root.json", Files.readAllBytes(metadataDir().resolve(rv + ".root.json")), "root");
            Metadata ts = Metadata.parse("timestamp.json", Files.readAllBytes(metadataDir().resolve("timestamp.json")), "timestamp");
            long sv = ts.meta("timestamp.json", "snapshot.json").version();
            Metadata snap = Metadata.parse(sv + ".snapshot.json", Files.readAllBytes(metadataDir().resolve(sv + ".snapshot.json")), "snapshot");
            long tv = snap.meta("snapshot.json", "targets.json").version();
            Metadata targets = Metadata.parse(tv + ".targets.json", Files.readAllBytes(metadataDir().resolve(tv + ".targets.json")), "targets");
            return new Current(root, ts, snap, targets);
        } catch (RepositoryException e) {
            throw new IOException(dir + ": " + e.getMessage(), e);
        }
    }

    /** Writes targets, then the snapshot naming it, then the timestamp naming that; returns {snapshot, timestamp} versions. */
    private long[] publish(ObjectNode root, ObjectNode targets, Duration snapshotExpiry, Duration timestampExpiry,
                           long snapshotVersion, long timestampVersion) throws IOException, PolicyException {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        long tv = targets.get("version").asLong();
        byte[] targetsBytes = sign(root, targets, Role.TARGETS);
        write(tv + ".targets.json", targetsBytes);
        ObjectNode snapshot = signedBase("snapshot", snapshotVersion, now.plus(snapshotExpiry));
        ObjectNode meta = snapshot.putObject("meta").putObject("targets.json");
        meta.put("version", tv);
        meta.put("length", targetsBytes.length);
        meta.putObject("hashes").put("sha256", TrustedMetadata.digests(targetsBytes).get("sha256"));
        byte[] snapshotBytes = sign(root, snapshot, Role.SNAPSHOT);
        write(snapshotVersion + ".snapshot.json", snapshotBytes);
        write("timestamp.json", sign(root, timestampOf(snapshotBytes, snapshotVersion, timestampVersion, now.plus(timestampExpiry)),
                Role.TIMESTAMP));
        return new long[] {snapshotVersion, timestampVersion};
    }

    private static ObjectNode timestampOf(byte[] snapshotBytes, long snapshotVersion, long version, Instant expires) {
        ObjectNode ts = signedBase("timestamp", version, expires);
        ObjectNode meta = ts.putObject("meta").putObject("snapshot.json");
        meta.put("version", snapshotVersion);
        meta.put("length", snapshotBytes.length);
        meta.putObject("hashes").put("sha256", TrustedMetadata.digests(snapshotBytes).get("sha256"));
        return ts;
    }

    private static ObjectNode signedBase(String type, long version, Instant expires) {
        ObjectNode s = CanonicalJson.JSON.createObjectNode();
        s.put("_type", type);
        s.put("spec_version", SPEC_VERSION);
        s.put("version", version);
        s.put("expires", expires.toString());
        return s;
    }

    /** Signs {@code signed} with every key of {@code role} (as {@code root} lists it) that the key directory holds. */
    private byte[] sign(ObjectNode root, ObjectNode signed, Role role) throws PolicyException {
        byte[] data = CanonicalJson.encode(signed);
        List<Metadata.Sig> sigs = new ArrayList<>();
        int threshold = root.path("roles").path(role.id()).path("threshold").asInt();
        Map<String, TufKey> roleKeys = new LinkedHashMap<>();
        for (var id : root.path("roles").path(role.id()).path("keyids")) {
            try {
                roleKeys.put(id.asText(), TufKey.parse("root", root.path("keys").path(id.asText())));
            } catch (RepositoryException e) {
                throw new PolicyException(e.getMessage(), e);
            }
        }
        for (Map.Entry<String, TufKey> e : roleKeys.entrySet()) {
            PrivateKey pk = keys.privateKey(e.getValue());
            if (pk != null) {
                try {
                    sigs.add(new Metadata.Sig(e.getKey(), e.getValue().sign(RepositoryKeys.jca(pk), data)));
                } catch (GeneralSecurityException ex) {
                    throw new PolicyException(role.id() + " key " + e.getKey() + ": " + ex.getMessage(), ex);
                }
            }
        }
        if (sigs.size() < threshold) {
            throw new PolicyException("the " + role.id() + " role needs " + threshold + " signatures; " + keys.directory()
                    + " holds " + sigs.size() + " of its keys");
        }
        return Metadata.document(signed, sigs);
    }

    /** Writes {@code metadata/NAME} by temp file + rename, so a reader never sees half a file. */
    private void write(String name, byte[] bytes) throws IOException {
        Path target = metadataDir().resolve(name);
        Path tmp = Files.createTempFile(metadataDir(), "." + name + "-", ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
