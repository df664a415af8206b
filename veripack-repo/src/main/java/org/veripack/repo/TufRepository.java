package org.veripack.repo;

import com.fasterxml.jackson.databind.JsonNode;
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
        return init(dir, keyDir, null, java.util.Set.of(), roles, keyType, clock);
    }

    /**
     * As {@link #init(Path, Path, Map, RepositoryKeys.KeyType, Clock)}, with {@code token}'s key as the first key of each
     * role in {@code tokenRoles} (the rest are {@code KEYDIR/<role>-2.pem}...): a role key kept in an HSM.
     */
    public static TufRepository init(Path dir, Path keyDir, RepositoryKeys.Token token, java.util.Set<Role> tokenRoles,
                                     Map<Role, RoleSpec> roles, RepositoryKeys.KeyType keyType, Clock clock)
            throws IOException, PolicyException {
        if (token == null && !tokenRoles.isEmpty()) {
            throw new PolicyException("roles " + tokenRoles + " on a token, but no token key");
        }
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
        if (token != null) {
            k.add(token);
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        ObjectNode root = signedBase("root", 1, now.plus(roles.get(Role.ROOT).expiry()));
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
        TufRepository repo = new TufRepository(dir, k, clock);
        byte[] rootBytes = repo.sign(root, root, Role.ROOT);
        repo.write("1.root.json", rootBytes);
        ObjectNode targets = signedBase("targets", 1, now.plus(roles.get(Role.TARGETS).expiry()));
        targets.putObject("targets");
        repo.writeAll(repo.publication(root, repo.sign(root, targets, Role.TARGETS), 1, roles.get(Role.SNAPSHOT).expiry(),
                roles.get(Role.TIMESTAMP).expiry(), 1, 1));
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
            throws IOException, PolicyException, Rejected {
        VerificationReport report = verifier.verifyCsar(pkg);
        if (!report.accepted() || report.identity().isEmpty()) {
            throw new Rejected(report);
        }
        String name = pkg.getFileName().toString();
        if (name.contains("/") || name.startsWith(".")) {
            throw new PolicyException("target name " + name + ": a package file name without a leading dot");
        }
        requireNothingStaged();
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
            byte[] targetsBytes = Metadata.document(targets, signatures(cur.root.signed(), Role.TARGETS, CanonicalJson.encode(targets)));
            if (!complete(cur, Role.TARGETS, targetsBytes)) {
                Pending p = stage(cur, Role.TARGETS, v + ".targets.json", targetsBytes);
                return new Added(name, file, v, cur.snapshot.version(), cur.timestamp.version(), p);
            }
            writeAll(publication(cur.root.signed(), targetsBytes, v, snapshotExpiry, timestampExpiry, cur.snapshot.version() + 1,
                    cur.timestamp.version() + 1));
            return new Added(name, file, v, cur.snapshot.version() + 1, cur.timestamp.version() + 1, null);
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

    /**
     * The files that publish {@code targetsBytes} (version {@code tv}): targets, then the snapshot naming it, then the
     * timestamp naming that, in the order {@link #writeAll} writes them; everything is signed before anything is
     * written, so a missing key leaves the repository as it was.
     */
    private Map<String, byte[]> publication(ObjectNode root, byte[] targetsBytes, long tv, Duration snapshotExpiry,
                                            Duration timestampExpiry, long snapshotVersion, long timestampVersion)
            throws PolicyException {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        ObjectNode snapshot = signedBase("snapshot", snapshotVersion, now.plus(snapshotExpiry));
        ObjectNode meta = snapshot.putObject("meta").putObject("targets.json");
        meta.put("version", tv);
        meta.put("length", targetsBytes.length);
        meta.putObject("hashes").put("sha256", TrustedMetadata.digests(targetsBytes).get("sha256"));
        byte[] snapshotBytes = sign(root, snapshot, Role.SNAPSHOT);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(tv + ".targets.json", targetsBytes);
        files.put(snapshotVersion + ".snapshot.json", snapshotBytes);
        files.put("timestamp.json", sign(root, timestampOf(snapshotBytes, snapshotVersion, timestampVersion, now.plus(timestampExpiry)),
                Role.TIMESTAMP));
        return files;
    }

    /** Writes metadata files in order (root, targets, snapshot, timestamp last), each by rename. */
    private void writeAll(Map<String, byte[]> files) throws IOException {
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            write(e.getKey(), e.getValue());
        }
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

    /**
     * Signs {@code signed} with every key of {@code role} (as {@code root} lists it) that the key directory holds.
     *
     * @throws PolicyException when they are fewer than the role's threshold
     */
    private byte[] sign(ObjectNode root, ObjectNode signed, Role role) throws PolicyException {
        List<Metadata.Sig> sigs = signatures(root, role, CanonicalJson.encode(signed));
        int threshold = root.path("roles").path(role.id()).path("threshold").asInt();
        if (sigs.size() < threshold) {
            throw new PolicyException("the " + role.id() + " role needs " + threshold + " signatures; " + keys.directory()
                    + " holds " + sigs.size() + " of its keys");
        }
        return Metadata.document(signed, sigs);
    }

    /** One signature over {@code data} by each key of {@code role} in {@code root} that the key directory holds. */
    private List<Metadata.Sig> signatures(JsonNode root, Role role, byte[] data) throws PolicyException {
        List<Metadata.Sig> sigs = new ArrayList<>();
        for (Map.Entry<String, TufKey> e : roleKeys(root, role).entrySet()) {
            PrivateKey pk = keys.privateKey(e.getValue());
            if (pk != null) {
                sigs.add(signature(e.getKey(), e.getValue(), pk, data, role));
            }
        }
        return sigs;
    }

    private static Metadata.Sig signature(String keyId, TufKey key, PrivateKey pk, byte[] data, Role role) throws PolicyException {
        try {
            return new Metadata.Sig(keyId, key.sign(pk.getEncoded() == null ? pk : RepositoryKeys.jca(pk), data));
        } catch (GeneralSecurityException ex) {
            throw new PolicyException(role.id() + " key " + keyId + ": " + ex.getMessage(), ex);
        }
    }

    /** The keys {@code root} lists for {@code role}, by key id. */
    private static Map<String, TufKey> roleKeys(JsonNode root, Role role) throws PolicyException {
        Map<String, TufKey> roleKeys = new LinkedHashMap<>();
        for (var id : root.path("roles").path(role.id()).path("keyids")) {
            try {
                roleKeys.put(id.asText(), TufKey.parse("root", root.path("keys").path(id.asText())));
            } catch (RepositoryException e) {
                throw new PolicyException(e.getMessage(), e);
            }
        }
        return roleKeys;
    }

    // ---- threshold roles: staged metadata, one signature at a time, root rotation ----

    private Path stagedDir() { return dir.resolve("staged"); }

    /** The staged files ({@code N.root.json}, {@code N.targets.json}) and what each still needs. */
    public List<Pending> staged() throws IOException {
        List<Pending> out = new ArrayList<>();
        if (!Files.isDirectory(stagedDir())) {
            return out;
        }
        Current cur = current();
        try (var files = Files.list(stagedDir())) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches("[0-9]+\\.(root|targets)\\.json")).sorted().toList()) {
                String n = f.getFileName().toString();
                Role role = n.endsWith(".root.json") ? Role.ROOT : Role.TARGETS;
                out.add(pending(cur, role, n, Files.readAllBytes(f)));
            }
        }
        return out;
    }

    private void requireNothingStaged() throws IOException, PolicyException {
        List<Pending> p = staged();
        if (!p.isEmpty()) {
            throw new PolicyException("staged/" + p.get(0).file() + " awaits signatures (" + p.get(0).needs()
                    + "): complete it with veripack repo sign, or remove it, before another change");
        }
    }

    /**
     * Whether {@code bytes} carry enough signatures to publish, decided by the client's own checks: targets, a
     * threshold of the current root's targets keys (§5.6.3); root, a threshold of the current root's root keys and
     * of its own, and the next version (§5.3.4, §5.3.5).
     */
    private boolean complete(Current cur, Role role, byte[] bytes) throws IOException {
        try {
            if (role == Role.ROOT) {
                TrustedMetadata.fromRoot(Files.readAllBytes(metadataDir().resolve(cur.root.version() + ".root.json"))).withRoot(bytes);
            } else {
                TrustedMetadata.verifyRole(role.id() + ".json", cur.root, Metadata.parse(role.id() + ".json", bytes, role.id()), role.id());
            }
            return true;
        } catch (RepositoryException e) {
            if (e.code() == org.veripack.core.FindingCode.REPO_THRESHOLD_UNMET) {
                return false;
            }
            throw new IOException("staged " + role.id() + ": " + e.getMessage(), e);
        }
    }

    private Pending stage(Current cur, Role role, String name, byte[] bytes) throws IOException {
        Files.createDirectories(stagedDir());
        write(stagedDir(), name, bytes);
        return pending(cur, role, name, bytes);
    }

    /** What staged {@code bytes} still need: per key set, the missing signature count and the key ids not signed yet. */
    private Pending pending(Current cur, Role role, String name, byte[] bytes) throws IOException {
        try {
            Metadata m = Metadata.parse(name, bytes, role.id());
            java.util.Set<String> signedIds = new java.util.HashSet<>();
            m.signatures().forEach(x -> signedIds.add(x.keyId()));
            List<String> needs = new ArrayList<>();
            List<Metadata> sets = role == Role.ROOT ? List.of(cur.root, m) : List.of(cur.root);
            for (Metadata delegator : sets) {
                Metadata.Role r = delegator.role(name, role.id());
                List<String> missing = r.keyIds().stream().filter(id -> !signedIds.contains(id)).toList();
                int more = r.threshold() - (r.keyIds().size() - missing.size());
                if (more > 0) {
                    needs.add(more + " more signature(s) by " + (role == Role.ROOT ? "root version " + delegator.version() + "'s root keys"
                            : "the targets keys") + " " + missing);
                }
            }
            return new Pending(role.id(), name, m.version(), needs.isEmpty() ? "nothing" : String.join("; ", needs));
        } catch (RepositoryException e) {
            throw new IOException("staged/" + name + ": " + e.getMessage(), e);
        }
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
    public Signing sign(Role role, PrivateKey key, java.security.PublicKey publicKey, Duration snapshotExpiry, Duration timestampExpiry)
            throws IOException, PolicyException {
        if (role != Role.ROOT && role != Role.TARGETS) {
            throw new PolicyException("the " + role.id() + " role is signed online by repo add and repo timestamp with the keys of --keys;"
                    + " repo sign completes root and targets");
        }
        Current cur = current();
        Path f = null;
        for (Pending p : staged()) {
            if (p.role().equals(role.id())) {
                f = stagedDir().resolve(p.file());
            }
        }
        if (f == null) {
            throw new PolicyException("nothing staged for the " + role.id() + " role in " + stagedDir()
                    + (role == Role.ROOT ? " (veripack repo rotate-root stages a new root)" : " (repo add stages targets when --keys lacks targets keys)"));
        }
        String name = f.getFileName().toString();
        byte[] bytes = Files.readAllBytes(f);
        Metadata m;
        try {
            m = Metadata.parse(name, bytes, role.id());
        } catch (RepositoryException e) {
            throw new PolicyException("staged/" + name + ": " + e.getMessage(), e);
        }
        TufKey tk;
        try {
            tk = TufKey.of(publicKey);
        } catch (IllegalArgumentException e) {
            throw new PolicyException(e.getMessage(), e);
        }
        Map<String, TufKey> allowed = new LinkedHashMap<>(roleKeys(cur.root.signed(), role));
        if (role == Role.ROOT) {
            allowed.putAll(roleKeys(m.signed(), role));
        }
        List<Metadata.Sig> sigs = new ArrayList<>(m.signatures());
        boolean listed = false;
        for (Map.Entry<String, TufKey> e : allowed.entrySet()) {
            if (e.getValue().equals(tk)) {
                listed = true;
                sigs.removeIf(x -> x.keyId().equals(e.getKey()));
                sigs.add(signature(e.getKey(), e.getValue(), key, m.canonicalSigned(), role));
            }
        }
        if (!listed) {
            throw new PolicyException("key " + tk.keyId() + " is not a " + role.id() + " key of staged/" + name);
        }
        byte[] signed = Metadata.document(m.signed(), sigs);
        if (!tk.verifies(m.canonicalSigned(), sigs.get(sigs.size() - 1).value())) {
            throw new PolicyException("the key's signature does not verify with its public key: the private and public key differ");
        }
        write(stagedDir(), name, signed);
        if (!complete(cur, role, signed)) {
            return new Signing(name, pending(cur, role, name, signed));
        }
        publishStaged(cur, role, name, signed, snapshotExpiry, timestampExpiry);
        return new Signing(name, null);
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
        requireNothingStaged();
        Current cur = current();
        ObjectNode root = cur.root.signed().deepCopy();
        long v = cur.root.version() + 1;
        root.put("version", v);
        root.put("expires", clock.instant().truncatedTo(ChronoUnit.SECONDS).plus(rootExpiry).toString());
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
        java.util.Set<String> used = new java.util.HashSet<>();
        root.path("roles").forEach(rn -> rn.path("keyids").forEach(i -> used.add(i.asText())));
        keysNode.retain(used);
        byte[] data = CanonicalJson.encode(root);
        Map<String, Metadata.Sig> sigs = new LinkedHashMap<>();
        for (Metadata.Sig x : signatures(cur.root.signed(), Role.ROOT, data)) {
            sigs.put(x.keyId(), x);
        }
        for (Metadata.Sig x : signatures(root, Role.ROOT, data)) {
            sigs.putIfAbsent(x.keyId(), x);
        }
        byte[] bytes = Metadata.document(root, new ArrayList<>(sigs.values()));
        String name = v + ".root.json";
        if (!complete(cur, Role.ROOT, bytes)) {
            return new Signing(name, stage(cur, Role.ROOT, name, bytes));
        }
        publishStaged(cur, Role.ROOT, name, bytes, snapshotExpiry, timestampExpiry);
        return new Signing(name, null);
    }

    /** Publishes complete root or targets metadata (see {@link #sign}); the staged file, if any, is removed last. */
    private void publishStaged(Current cur, Role role, String name, byte[] bytes, Duration snapshotExpiry, Duration timestampExpiry)
            throws IOException, PolicyException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        if (role == Role.ROOT) {
            Metadata m;
            try {
                m = Metadata.parse(name, bytes, "root");
            } catch (RepositoryException e) {
                throw new IOException(e.getMessage(), e);
            }
            ObjectNode root = m.signed();
            byte[] targetsBytes;
            long tv = cur.targets.version();
            if (root.path("roles").path("targets").equals(cur.root.signed().path("roles").path("targets"))) {
                targetsBytes = Files.readAllBytes(metadataDir().resolve(tv + ".targets.json"));
            } else { // new targets keys: the current targets re-signed by them (§5.6.3 checks the new root's keys)
                ObjectNode targets = cur.targets.signed().deepCopy();
                targets.put("version", ++tv);
                targetsBytes = sign(root, targets, Role.TARGETS);
            }
            files.put(name, bytes);
            files.putAll(publication(root, targetsBytes, tv, snapshotExpiry, timestampExpiry, cur.snapshot.version() + 1,
                    cur.timestamp.version() + 1));
            if (tv == cur.targets.version()) {
                files.remove(tv + ".targets.json"); // unchanged: already published
            }
        } else {
            files.putAll(publication(cur.root.signed(), bytes, cur.targets.version() + 1, snapshotExpiry, timestampExpiry,
                    cur.snapshot.version() + 1, cur.timestamp.version() + 1));
            if (!files.containsKey(name)) {
                throw new PolicyException("staged/" + name + " is not the next targets version " + (cur.targets.version() + 1));
            }
        }
        writeAll(files);
        Files.deleteIfExists(stagedDir().resolve(name));
    }

    /** Writes {@code metadata/NAME} by temp file + rename, so a reader never sees half a file. */
    private void write(String name, byte[] bytes) throws IOException {
        write(metadataDir(), name, bytes);
    }

    private static void write(Path directory, String name, byte[] bytes) throws IOException {
        Path target = directory.resolve(name);
        Path tmp = Files.createTempFile(directory, "." + name + "-", ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
