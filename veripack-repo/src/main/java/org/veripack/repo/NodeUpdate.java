package org.veripack.repo;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.veripack.core.ArtifactFetcher;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.RevocationSource;
import org.veripack.core.TrustPolicy;
import org.veripack.node.AuditEvent;
import org.veripack.node.IdentityCheck;
import org.veripack.node.InstallResult;
import org.veripack.node.Node;
import org.veripack.node.NodeBusyException;
import org.veripack.node.NodeFiles;
import org.veripack.node.NodeStatus;
import org.veripack.node.SlotInfo;
import org.veripack.repo.tuf.Metadata;
import org.veripack.repo.tuf.RepositoryException;
import org.veripack.repo.tuf.TrustedMetadata;

/**
 * The node's {@code veripack update} (docs/repository.md "The node's update"): the I/O around the pure client core
 * {@link TrustedMetadata}, in the order of TUF spec v1.0.x §5. The root chain from the node's trusted root
 * ({@code NODE/state/tuf/root.json}, else the pinned {@code NODE/config/repository-root.json}), then timestamp,
 * snapshot and targets, each fetched with a size bound and persisted crash-safely in {@code NODE/state/tuf} as soon
 * as it is trusted; then the newest version of the package is downloaded into {@code NODE/cache/update} with its
 * signed length as the bound and its hashes checked (§5.7.3), and installed by {@link Node#install}, so the vendor's
 * CMS signature, the node's trust policy and its anti-rollback decide as for any package.
 *
 * <p>Every run appends {@code update.refreshed}, {@code update.refused} or {@code update.failed} to the node's audit
 * log (the install adds its own events). Nothing the node trusts changes on a refusal.
 *
 * <p>This class is the workflow and its outcome; the steps: {@link TrustedState} (the trusted files in
 * {@code NODE/state/tuf}), {@link MetadataRefresh} (§5.3–§5.6), {@link TargetChoice} (which version),
 * {@link RepositoryReader} (bounded requests and the target's download, §5.7.3), then {@link Node#install}.
 */
public final class NodeUpdate {
    /** Largest root metadata file read (a root lists every role's keys; python-tuf's default is 512 KiB). */
    public static final long MAX_ROOT_BYTES = 512 * 1024;
    /** Largest timestamp.json read (it records one file; python-tuf's default is 16 KiB). */
    public static final long MAX_TIMESTAMP_BYTES = 16 * 1024;
    /** Largest snapshot or targets file read when its parent does not record its length. */
    public static final long MAX_METADATA_BYTES = 8L * 1024 * 1024;
    /** Most root versions walked in one run (§5.3.3; python-tuf's max_root_rotations). */
    public static final int MAX_ROOT_ROTATIONS = 32;

    /**
     * Where repository files come from: {@code path} is relative to the repository ({@code metadata/1.root.json},
     * {@code targets/<sha256>.<name>}).
     */
    @FunctionalInterface
    public interface Transport {
        /**
         * Streams the file's bytes into {@code out}, at most {@code maxBytes}.
         *
         * @throws ArtifactFetcher.NotFoundException      when the repository has no such file (HTTP 404/410)
         * @throws ArtifactFetcher.BoundExceededException when the file is larger than {@code maxBytes};
         *                                                {@link ArtifactFetcher.TooSlowException} when a time bound
         *                                                passed
         * @throws IOException                            when the repository cannot be read
         */
        long get(String path, long maxBytes, OutputStream out) throws IOException;

        /** As {@link #of(String, TrustPolicy.FetchTimeouts, MinimumRate)} with {@link MinimumRate#DEFAULT}. */
        static Transport of(String repo, TrustPolicy.FetchTimeouts timeouts) {
            return of(repo, timeouts, MinimumRate.DEFAULT);
        }

        /**
         * {@code repo} an {@code http://} or {@code https://} base URL (the bounded HTTP of
         * {@link ArtifactFetcher#http}: no redirects, {@code timeouts}, and each file within
         * {@link MinimumRate#bound} of its size bound) or a directory.
         *
         * @throws IllegalArgumentException when {@code repo} is not a valid http(s) URL or has another scheme ({@link #baseUri})
         */
        static Transport of(String repo, TrustPolicy.FetchTimeouts timeouts, MinimumRate rate) {
            Objects.requireNonNull(rate, "rate");
            URI base = baseUri(repo);
            if (base != null) {
                ArtifactFetcher http = ArtifactFetcher.http(timeouts);
                return (path, maxBytes, out) -> {
                    String raw;
                    try {
                        raw = new URI(null, null, path, null).getRawPath(); // each segment percent-encoded
                    } catch (URISyntaxException e) {
                        throw new IOException("not a repository path: " + path, e);
                    }
                    return http.fetch(base.resolve(raw), maxBytes, rate.bound(maxBytes), out);
                };
            }
            Path dir = Path.of(repo).toAbsolutePath().normalize();
            return (path, maxBytes, out) -> {
                Path file = dir.resolve(path).normalize();
                if (!file.startsWith(dir) || !Files.isRegularFile(file)) {
                    throw new ArtifactFetcher.NotFoundException("no file " + path + " in " + dir);
                }
                long n = 0;
                byte[] buf = new byte[64 * 1024];
                try (InputStream in = Files.newInputStream(file)) {
                    for (int r; (r = in.read(buf)) > 0; ) {
                        if (n + r > maxBytes) {
                            throw new ArtifactFetcher.BoundExceededException(path + " larger than " + maxBytes + " bytes");
                        }
                        out.write(buf, 0, r);
                        n += r;
                    }
                }
                return n;
            };
        }
    }

    /**
     * The slowest a repository may send a file (TUF's slow retrieval attack: a server that trickles bytes holds the
     * node's update, and the agent's poll, as long as it is allowed to): a file whose size bound is {@code maxBytes}
     * must be complete within {@code grace} plus {@code maxBytes} at {@code bytesPerSecond} (never more than the fetch
     * timeouts' total). With {@link #DEFAULT}, 15 s and 32 KiB/s: {@code timestamp.json} (16 KiB bound) 15.5 s, a root
     * (512 KiB) 31 s, a snapshot or targets its recorded length (a few KiB: about 15 s; 8 MiB when unrecorded: 4.5 min),
     * the target its signed length (a 10 MB package 5.3 min; above about 117 MB the 1 hour total). Crossed: {@code
     * REPO_LIMIT_EXCEEDED} "too slow".
     *
     * @param grace          the time every request may take beyond its bytes (connect, response headers)
     * @param bytesPerSecond the minimum average rate of the body, bytes per second
     */
    public record MinimumRate(Duration grace, long bytesPerSecond) {
        /** 15 s plus 32 KiB/s. */
        public static final MinimumRate DEFAULT = new MinimumRate(Duration.ofSeconds(15), 32 * 1024);

        public MinimumRate {
            if (grace == null || grace.isNegative() || grace.isZero() || bytesPerSecond < 1) {
                throw new IllegalArgumentException("minimum rate needs a positive grace and rate: " + grace + ", " + bytesPerSecond);
            }
        }

        /** The longest a file of at most {@code maxBytes} may take. */
        public Duration bound(long maxBytes) {
            long millis = Math.min(maxBytes / bytesPerSecond, 10L * 365 * 24 * 3600) * 1000 + maxBytes % bytesPerSecond * 1000 / bytesPerSecond;
            return grace.plusMillis(millis);
        }
    }

    /**
     * The repository's base URL when {@code repo} is an {@code http://} or {@code https://} URL (with a host), null
     * when it is a directory (no scheme).
     *
     * @throws IllegalArgumentException when it is not a valid URL, has no host, or has another scheme ({@code ftp:},
     *                                  {@code file:}...: never taken as a relative directory); the message says which
     */
    public static URI baseUri(String repo) {
        java.util.regex.Matcher scheme = java.util.regex.Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*):.*", java.util.regex.Pattern.DOTALL)
                .matcher(repo);
        if (!scheme.matches()) {
            return null;
        }
        String name = scheme.group(1).toLowerCase(java.util.Locale.ROOT);
        if (!name.equals("http") && !name.equals("https")) {
            throw new IllegalArgumentException(repo + ": unsupported scheme " + name + ": (an http:// or https:// URL, or a directory)");
        }
        URI base;
        try {
            base = new URI(repo.endsWith("/") ? repo : repo + "/");
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(repo + ": not a valid URL: " + e.getMessage(), e);
        }
        if (base.getHost() == null) {
            throw new IllegalArgumentException(repo + ": not a valid URL: no host");
        }
        if (base.getPort() > 65535) {
            throw new IllegalArgumentException(repo + ": not a valid URL: port " + base.getPort() + " out of range (1-65535)");
        }
        return base;
    }

    /** How a run ended. */
    public enum Outcome {
        /** The metadata refreshed and the node already runs the newest version of the package: nothing downloaded. */
        UP_TO_DATE,
        /** The target was downloaded and {@link Node#install} activated it (or found it active, or repaired it). */
        INSTALLED,
        /**
         * The node refused the target: downloaded intact and refused by {@link Node#install} ({@link Result#install()}
         * REJECTED), or, when the version it claims is below the node's anti-rollback floor, refused before the
         * download ({@link Result#install()} null, {@link Result#finding()} {@code VERSION_ROLLBACK}).
         */
        REJECTED,
        /** Repository metadata or the target was refused ({@code REPO_*} finding); nothing trusted changed. */
        REFUSED,
        /** The repository could not be read ({@code REPO_UNREACHABLE}). */
        UNREACHABLE
    }

    /**
     * The outcome of one run.
     *
     * @param outcome  how it ended
     * @param trusted  the trusted metadata versions afterwards, e.g. {@code root 1, timestamp 3, snapshot 3, targets 3}
     * @param target   the chosen target's name, or null when none was chosen
     * @param version  the chosen target's package version ({@code custom.veripack.version}), or null
     * @param install  the node's install result, or null when nothing was installed
     * @param finding  the refusal ({@code REPO_*}, or {@code VERSION_ROLLBACK} for a target refused before its download), or null
     * @param requests the repository paths fetched, in order
     */
    public record Result(Outcome outcome, String trusted, String target, String version, InstallResult install, Finding finding,
                         List<String> requests) {
        public Result {
            requests = List.copyOf(requests);
        }
    }

    private final Node node;
    private final Transport transport;
    private final Clock clock;
    private final RevocationSource revocation;
    private final Path state;
    private final TrustedState trusted;
    private final RepositoryReader reader;

    /**
     * @param node       the opened node (its audit log, status and install)
     * @param transport  where the repository's files come from
     * @param clock      the node's clock for expiry (§5.3.10, §5.4.4, §5.5.6, §5.6.5)
     * @param revocation revocation data for the install, as for {@code veripack install}
     */
    public NodeUpdate(Node node, Transport transport, Clock clock, RevocationSource revocation) {
        this.node = Objects.requireNonNull(node, "node");
        this.transport = Objects.requireNonNull(transport, "transport");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.revocation = Objects.requireNonNull(revocation, "revocation");
        this.state = NodeFiles.updateState(node.root());
        this.trusted = new TrustedState(state);
        this.reader = new RepositoryReader(transport);
    }

    /**
     * Pins the repository's first root ({@code NODE/config/repository-root.json}) when the node has none: the root
     * must parse and carry a threshold of signatures by its own root keys (§5.2). Audited {@code update.pinned}.
     * The same bytes again change nothing. The caller checks that the user is a trust administrator.
     *
     * @return true when it was written, false when the same root was already pinned
     * @throws RepositoryException {@code REPO_ROOT_MISMATCH} when a different root is pinned, or the root's own
     *                             finding ({@code REPO_MALFORMED}, {@code REPO_THRESHOLD_UNMET}...); audited
     *                             {@code update.refused}
     */
    public boolean pin(byte[] rootBytes) throws RepositoryException, IOException {
        Path pinned = NodeFiles.repositoryRoot(node.root());
        try {
            if (Files.exists(pinned, LinkOption.NOFOLLOW_LINKS)) {
                byte[] have = Files.readAllBytes(pinned);
                if (java.util.Arrays.equals(have, rootBytes)) {
                    return false;
                }
                throw new RepositoryException(FindingCode.REPO_ROOT_MISMATCH, pinned.toString(),
                        "the node pinned another repository root (a trust administrator removes it to pin a new one)",
                        TrustedState.sha256(have), TrustedState.sha256(rootBytes));
            }
            TrustedMetadata.fromRoot(rootBytes);
        } catch (RepositoryException e) {
            audit(AuditEvent.Type.UPDATE_REFUSED, AuditEvent.Verdict.REJECTED, e.finding(), "pin: " + e.getMessage());
            throw e;
        }
        NodeFiles.writeAtomically(pinned, rootBytes);
        Files.setPosixFilePermissions(pinned, PosixFilePermissions.fromString("rw-r--r--"));
        audit(AuditEvent.Type.UPDATE_PINNED, AuditEvent.Verdict.ACCEPTED, null, "repository root pinned: sha256 " + TrustedState.sha256(rootBytes));
        return true;
    }

    /**
     * One update: refresh the trusted metadata (§5.3–§5.6), choose the newest version of {@code packageName} (null:
     * the node's product when it has one, else the repository's only package), and install it unless the node
     * already runs it.
     *
     * @throws NoSuchFileException when no repository root is pinned (the message says how to pin one)
     * @throws NodeBusyException   when another update holds {@code NODE/state/tuf/lock}, or an installer the node lock
     * @throws IOException         when the node's state cannot be read or written (audited {@code update.failed})
     */
    public Result update(String packageName) throws IOException {
        return update(packageName, null);
    }

    /**
     * As {@link #update(String)}, but installs the target whose {@code custom.veripack.version} is {@code version}
     * (null: the newest) — an operator pinning a fleet to an approved version. The node's own rules still decide:
     * a version below its anti-rollback floor is {@code VERSION_ROLLBACK}; a version the repository does not list is
     * {@code REPO_TARGET_UNKNOWN}.
     *
     * @throws NoSuchFileException when no repository root is pinned
     * @throws NodeBusyException   when another update or an installer holds the node
     * @throws IOException         when the node's state cannot be read or written (audited {@code update.failed})
     */
    public Result update(String packageName, String version) throws IOException {
        return update(packageName, version, v -> true);
    }

    /**
     * As {@link #update(String, String)}, choosing only among the targets whose {@code custom.veripack.version}
     * {@code eligible} accepts: the agent leaves out the versions that failed their health check on this node
     * (docs/guide.md "Run the agent"). When it accepts none, the run ends {@link Outcome#UP_TO_DATE} with no target.
     */
    public Result update(String packageName, String version, java.util.function.Predicate<String> eligible) throws IOException {
        Objects.requireNonNull(eligible, "eligible");
        Path pinned = NodeFiles.repositoryRoot(node.root());
        if (!Files.isRegularFile(pinned, LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(pinned.toString(), null,
                    "no repository root pinned: a trust administrator runs veripack update once with --repo-root ROOT.json");
        }
        NodeFiles.ensurePrivateDirectory(state);
        try (FileChannel ch = FileChannel.open(state.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = ch.tryLock()) {
            if (lock == null) {
                throw new NodeBusyException("another veripack update holds " + state.resolve("lock"));
            }
            NodeFiles.removeTemporaries(state);
            return locked(Files.readAllBytes(pinned), packageName, version, eligible);
        } catch (NodeBusyException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            audit(AuditEvent.Type.UPDATE_FAILED, AuditEvent.Verdict.ERROR, null, e.getClass().getSimpleName() + ": " + e.getMessage());
            throw e;
        }
    }

    private Result locked(byte[] pinnedRoot, String packageName, String wantedVersion, java.util.function.Predicate<String> eligible)
            throws IOException {
        TrustedMetadata t;
        try {
            t = trusted.load(pinnedRoot);
        } catch (RepositoryException e) {
            return refused(null, e, "the node's trusted repository metadata (" + state + ")");
        }
        try {
            t = new MetadataRefresh(reader, trusted, clock).refresh(t);
        } catch (RepositoryException e) {
            return refused(t, e, null);
        } catch (RepositoryReader.Unreachable e) {
            return unreachable(versions(t), null, null, e);
        }
        String trustedVersions = versions(t);
        NodeStatus status = node.status();
        Metadata.TargetFile target;
        try {
            target = TargetChoice.choose(t, packageName != null ? packageName : status.product(), wantedVersion, eligible);
        } catch (RepositoryException e) {
            return refused(t, e, null);
        }
        if (target == null) {
            audit(AuditEvent.Type.UPDATE_REFRESHED, AuditEvent.Verdict.ACCEPTED, null, trustedVersions + "; no eligible version");
            return new Result(Outcome.UP_TO_DATE, trustedVersions, null, null, null, null, reader.requests());
        }
        String version = customVersion(target);
        String sha256 = target.hashes().get("sha256");
        java.util.Optional<SlotInfo> active = status.active();
        IdentityCheck claims = claimsOf(target);
        // the active package is the target's bytes and is what the target claims to be; a false claim goes on to the
        // install, which refuses it (REPO_TARGET_IDENTITY_MISMATCH)
        if (active.isPresent() && active.get().packageSha256() != null && active.get().packageSha256().equalsIgnoreCase(sha256)
                && claims.check(active.get().identity()).isEmpty()) {
            audit(AuditEvent.Type.UPDATE_REFRESHED, AuditEvent.Verdict.ACCEPTED, null, trustedVersions + "; up to date: " + target.name());
            return new Result(Outcome.UP_TO_DATE, trustedVersions, target.name(), version, null, null, reader.requests());
        }
        // a claimed version below the node's anti-rollback floor would be downloaded only to be refused, at every poll
        // (a release withdrawn from the repository after the node activated it, a newer version installed by hand):
        // refused before the download; the install's own check of the package stays the rule for everything else.
        // Not the active version itself (below the floor after a rollback): the install takes the active package
        // as already active, or repairs its slot, whatever the floor (docs/node.md "Install sequence"); nor any target
        // when the active slot's sealed record does not read (no identity): the target may be the active package, and
        // only the install, which knows the active slot by its name, can find that and repair it
        String claimedName = customName(target);
        boolean activeVersion = active.isPresent() && (active.get().identity() == null
                || active.get().identity().name().equals(claimedName) && active.get().identity().version().equals(version));
        java.util.Optional<Finding> belowFloor = claimedName == null || version == null || activeVersion
                ? java.util.Optional.empty() : node.versionFloorRefusal(claimedName, version);
        if (belowFloor.isPresent()) {
            audit(AuditEvent.Type.UPDATE_REFUSED, AuditEvent.Verdict.REJECTED, belowFloor.get(), trustedVersions + "; not downloaded: "
                    + target.name() + " (version " + version + ") is below the node's version floor " + belowFloor.get().expected());
            return new Result(Outcome.REJECTED, trustedVersions, target.name(), version, null, belowFloor.get(), reader.requests());
        }
        audit(AuditEvent.Type.UPDATE_REFRESHED, AuditEvent.Verdict.ACCEPTED, null, trustedVersions + "; downloading " + target.name()
                + (version == null ? "" : " (version " + version + ")"));
        return install(t, trustedVersions, target, version, claims);
    }

    /**
     * Downloads {@code target} into {@code NODE/cache/update} (0700), installs it by {@link Node#install} with the
     * target's claims as the expected identity, removes it.
     */
    private Result install(TrustedMetadata t, String trustedVersions, Metadata.TargetFile target, String version, IdentityCheck claims)
            throws IOException {
        Path cache = NodeFiles.updateCache(node.root());
        NodeFiles.ensurePrivateDirectory(cache);
        Path file;
        try {
            file = cache.resolve(RepositoryReader.hashName(target) + ".csar");
        } catch (RepositoryException e) {
            return refused(t, e, null);
        }
        try {
            reader.download(target, t.consistentSnapshot(), file);
            InstallResult r = node.install(file, revocation, claims);
            return new Result(r.outcome() == InstallResult.Outcome.REJECTED ? Outcome.REJECTED : Outcome.INSTALLED, trustedVersions,
                    target.name(), version, r, null, reader.requests());
        } catch (RepositoryException e) {
            return refused(t, e, null);
        } catch (RepositoryReader.Unreachable e) {
            return unreachable(trustedVersions, target.name(), version, e);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * The target's claims, {@code custom.veripack} name and version (by which {@link TargetChoice} chose it), as the
     * identity the node expects: a package whose vendor-signed name or version differs is
     * {@code REPO_TARGET_IDENTITY_MISMATCH} (a targets key cannot relabel a build: list it as a newer version, as the
     * version {@code --to} asks for, as another product, or a version that failed its health check as a new one). A
     * claim the target does not make is not checked.
     */
    static IdentityCheck claimsOf(Metadata.TargetFile target) {
        String name = customName(target);
        String version = customVersion(target);
        return id -> (name == null || name.equals(id.name())) && (version == null || version.equals(id.version()))
                ? java.util.Optional.empty()
                : java.util.Optional.of(Finding.mismatch(FindingCode.REPO_TARGET_IDENTITY_MISMATCH, target.name(),
                        "the targets metadata lists this package under another name or version than its vendor signed",
                        (name == null ? "*" : name) + " " + (version == null ? "*" : version), id.name() + " " + id.version()));
    }

    /** A target's package name, {@code custom.veripack.name} ({@code repo add} writes it), or null. */
    public static String customName(Metadata.TargetFile f) {
        JsonNode n = f.custom() == null ? null : f.custom().path("veripack").get("name");
        return n != null && n.isTextual() ? n.asText() : null;
    }

    /** A target's package version, {@code custom.veripack.version}, or null. */
    public static String customVersion(Metadata.TargetFile f) {
        JsonNode n = f.custom() == null ? null : f.custom().path("veripack").get("version");
        return n != null && n.isTextual() ? n.asText() : null;
    }

    private Result refused(TrustedMetadata t, RepositoryException e, String what) throws IOException {
        audit(AuditEvent.Type.UPDATE_REFUSED, AuditEvent.Verdict.REJECTED, e.finding(), (what == null ? "" : what + ": ") + e.getMessage());
        return new Result(Outcome.REFUSED, t == null ? null : versions(t), null, null, null, e.finding(), reader.requests());
    }

    private Result unreachable(String trustedVersions, String target, String version, RepositoryReader.Unreachable e) throws IOException {
        audit(AuditEvent.Type.UPDATE_FAILED, AuditEvent.Verdict.ERROR, e.finding, e.finding.detail());
        return new Result(Outcome.UNREACHABLE, trustedVersions, target, version, null, e.finding, reader.requests());
    }

    private static String versions(TrustedMetadata t) {
        return "root " + t.root().metadata().version()
                + (t.timestamp() == null ? "" : ", timestamp " + t.timestamp().metadata().version())
                + (t.snapshot() == null ? "" : ", snapshot " + t.snapshot().metadata().version())
                + (t.targets() == null ? "" : ", targets " + t.targets().metadata().version());
    }

    private void audit(AuditEvent.Type event, AuditEvent.Verdict verdict, Finding finding, String detail) throws IOException {
        node.auditLog().append(new AuditEvent(event, null, null, null, verdict,
                finding == null ? List.of() : List.of(finding.code().name()), detail));
    }
}
