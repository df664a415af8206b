package org.veripack.agent;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import org.veripack.core.DebianVersion;
import org.veripack.core.Finding;
import org.veripack.core.RevocationSource;
import org.veripack.core.TrustPolicy;
import org.veripack.node.AuditEvent;
import org.veripack.node.InstallResult;
import org.veripack.node.Node;
import org.veripack.node.NodeBusyException;
import org.veripack.node.NodeFiles;
import org.veripack.node.NodeStatus;
import org.veripack.node.RollbackResult;
import org.veripack.node.ScanResult;
import org.veripack.node.SlotInfo;
import org.veripack.repo.NodeUpdate;
import org.veripack.repo.tuf.Metadata;
import org.veripack.repo.tuf.RepositoryException;
import org.veripack.repo.tuf.TrustedMetadata;

/**
 * The node agent ({@code veripack agent}, docs/guide.md "Run the agent"): one scheduler that, on a node root,
 * <ul>
 *   <li>polls the repository through {@link NodeUpdate} every {@code interval} plus a random jitter, only inside the
 *       maintenance windows, choosing the newest approved version that has not failed its health check here;</li>
 *   <li>after an activation runs the health check: success marks the slot good ({@code agent.health ACCEPTED}),
 *       failure or time-out is audited ({@code agent.health REJECTED}) and followed by {@link Node#rollback()}, and
 *       that version is not installed again (a newer one is);</li>
 *   <li>runs {@link Node#verifyInstalled()} every {@code integrityInterval} and on request (SIGHUP): a tampered slot
 *       is audited by the node ({@code scan} with {@code INSTALLATION_TAMPERED}), raises the metric and, with
 *       {@code onTamper.action: stop}, runs the stop command.</li>
 * </ul>
 * Installs go through the node, which holds the node lock: a person's {@code veripack install} and the agent never
 * install at once (the one that finds the node busy gives up; the agent retries at its next poll). Time
 * ({@link Clock}), randomness ({@link RandomGenerator}) and waiting ({@link Sleeper}) are injected, so the scheduling
 * is tested exactly with {@link #tick()} and a clock the test moves.
 */
public final class Agent {
    /** Waits until an instant of the agent's clock (the real one sleeps; tests move their clock). */
    @FunctionalInterface
    public interface Sleeper {
        void sleepUntil(Instant t) throws InterruptedException;
    }

    private final Path root;
    private final Clock clock;
    private final RandomGenerator random;
    private final Sleeper sleeper;
    private final AgentMetrics metrics;
    private final Consumer<String> log;
    private final RevocationSource revocation;
    private final Node node;
    private final AgentState state;
    private volatile AgentConfig config;
    private Instant nextPoll;
    private Instant nextIntegrity;
    private volatile boolean integrityRequested;

    /**
     * Opens the node (recovering after a crash, as every node command does) and the agent's state.
     *
     * @param root    the node root
     * @param config  the configuration
     * @param clock   the agent's time: schedules, windows, audit times, metadata expiry
     * @param random  the jitter's source
     * @param sleeper how the health check's delay is waited for
     * @param metrics where the agent reports (not served by this class)
     * @param log     one line per notable step (stderr, the journal)
     * @param revocation revocation data for installs, as for {@code veripack install}
     * @throws IOException when the node or its agent state cannot be opened
     */
    public Agent(Path root, AgentConfig config, Clock clock, RandomGenerator random, Sleeper sleeper, AgentMetrics metrics,
                 Consumer<String> log, RevocationSource revocation) throws IOException {
        this.root = Objects.requireNonNull(root, "root");
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.log = Objects.requireNonNull(log, "log");
        this.revocation = Objects.requireNonNull(revocation, "revocation");
        this.node = Node.open(root, clock);
        this.state = AgentState.load(root);
        Instant now = clock.instant();
        nextIntegrity = now;
        nextPoll = now.plus(jitter());
        refreshStatus();
    }

    /** The node (its audit log for the export). */
    public Node node() { return node; }

    /** The configuration in force. */
    public AgentConfig config() { return config; }

    /** Replaces the configuration (SIGHUP); the next poll is rescheduled from now, and verify-installed runs at the next tick. */
    public void reconfigure(AgentConfig newConfig) {
        this.config = Objects.requireNonNull(newConfig, "config");
        nextPoll = clock.instant().plus(jitter());
        integrityRequested = true;
    }

    /** Asks for a verify-installed at the next tick (SIGHUP). */
    public void requestIntegrityCheck() {
        integrityRequested = true;
    }

    /** When the next poll is due (for tests and the log). */
    public Instant nextPoll() { return nextPoll; }

    /** When the next verify-installed is due. */
    public Instant nextIntegrityCheck() { return nextIntegrity; }

    /**
     * Does what is due at the clock's instant: first the health check of an active slot not judged yet (activated by a
     * run that was killed before its check, or by a person), then verify-installed when due or requested, then the poll when due (inside a window; outside, it is
     * moved to the next window's opening plus jitter).
     *
     * @return when something is due next
     */
    public Instant tick() throws InterruptedException {
        judgeActiveIfNew();
        Instant now = clock.instant();
        if (integrityRequested || !now.isBefore(nextIntegrity)) {
            integrityRequested = false;
            checkIntegrity();
            nextIntegrity = clock.instant().plus(config.integrityInterval());
        }
        now = clock.instant();
        if (!now.isBefore(nextPoll)) {
            if (MaintenanceWindow.allows(config.windows(), now, config.timeZone())) {
                poll();
                nextPoll = clock.instant().plus(config.interval()).plus(jitter());
            } else {
                nextPoll = MaintenanceWindow.nextOpen(config.windows(), now, config.timeZone()).plus(jitter());
                log.accept("agent: outside the maintenance windows " + config.windows() + "; next poll " + nextPoll);
            }
        }
        return nextPoll.isBefore(nextIntegrity) ? nextPoll : nextIntegrity;
    }

    /** A random delay of 0 to {@code jitter}, in whole milliseconds. */
    private Duration jitter() {
        long max = config.jitter().toMillis();
        return max <= 0 ? Duration.ZERO : Duration.ofMillis(random.nextLong(max + 1));
    }

    private void poll() throws InterruptedException {
        AgentConfig c = config;
        Instant at = clock.instant();
        String result;
        try {
            NodeUpdate update = new NodeUpdate(node, NodeUpdate.Transport.of(c.repository(), TrustPolicy.FetchTimeouts.DEFAULT), clock, revocation);
            String pkg = packageName();
            NodeUpdate.Result r = update.update(c.packageName(), null, v -> pkg == null || !state.failed(pkg, v));
            result = switch (r.outcome()) {
                case UP_TO_DATE -> "up_to_date";
                case REJECTED -> "rejected";
                case REFUSED -> "refused";
                case UNREACHABLE -> "unreachable";
                case INSTALLED -> installed(r);
            };
            Optional<String> failed = result.equals("up_to_date") ? skippedFailed() : Optional.empty();
            if (failed.isPresent()) {
                result = "skipped_failed_version";
            }
            // name the version the poll is about: the skipped one, not the active one NodeUpdate reports as current
            log.accept("agent: poll " + result + (failed.isPresent() ? " " + failed.get() + " (failed its health check here)"
                    : r.version() == null ? "" : " " + r.version())
                    + (r.finding() == null ? "" : " " + r.finding().code() + " " + r.finding().subject()
                    + (r.finding().detail() == null ? "" : ": " + r.finding().detail())));
        } catch (NodeBusyException e) {
            log.accept("agent: node busy (an install or update holds it): " + e.getMessage() + "; retrying at the next poll");
            result = "failed";
        } catch (NoSuchFileException e) {
            log.accept("agent: " + e.getFile() + ": " + (e.getReason() == null ? "not found" : e.getReason()));
            result = "failed";
        } catch (IOException | RuntimeException e) {
            log.accept("agent: update failed: " + e);
            result = "failed";
        }
        metrics.update(at, result);
        refreshStatus();
    }

    /** After {@code INSTALLED}: an activation is judged by the health check. */
    private String installed(NodeUpdate.Result r) throws IOException, InterruptedException {
        InstallResult install = r.install();
        if (install.outcome() != InstallResult.Outcome.ACTIVATED) {
            return "installed"; // already active or repaired: the version was judged when it was activated
        }
        var id = install.report().identity();
        String pkg = id.isPresent() ? id.get().name() : packageName();
        String version = id.isPresent() ? id.get().version() : r.version();
        return judge(install.slot(), pkg, version) == Judgement.FAILED ? "health_failed" : "installed";
    }

    /** What a health check concluded about a slot. */
    private enum Judgement {
        /** Marked good. */
        GOOD,
        /** Failed (audited REJECTED, the version not installed again) and rolled back when still active. */
        FAILED,
        /** Not judged: the slot stopped being the active one (a person installed or rolled back meanwhile). */
        DROPPED
    }

    /** Judges the active slot when it is neither the one marked good nor the one last judged. */
    private void judgeActiveIfNew() throws InterruptedException {
        SlotInfo a;
        try {
            a = node.status().active().orElse(null);
        } catch (IOException e) {
            log.accept("agent: status: " + e);
            return;
        }
        if (a != null && !a.slot().equals(state.good) && !a.slot().equals(state.judged)) {
            log.accept("agent: " + a.slot() + " is active and not judged yet (activated before a restart, or by hand): health check");
            judge(a.slot(), a.identity().name(), a.identity().version());
        }
    }

    /**
     * The health check of a freshly activated {@code slot}: good, or audited and rolled back. A slot that is no longer
     * the active one (a person installed or rolled back meanwhile) is left alone: checked before the check, after its
     * delay and after it ran, since the check probes what runs now ({@code current}), which is then another version.
     */
    private Judgement judge(String slot, String pkg, String version) throws InterruptedException {
        AgentConfig c = config;
        try {
            if (!isActive(slot)) {
                log.accept("agent: " + slot + " is no longer active; its health check is dropped");
                return Judgement.DROPPED;
            }
            if (c.healthCommand().isEmpty()) {
                audit(AuditEvent.Type.AGENT_HEALTH, pkg, version, slot, AuditEvent.Verdict.ACCEPTED, "no health check configured: good");
                markGood(slot);
                return Judgement.GOOD;
            }
            if (!c.healthDelay().isZero()) {
                sleeper.sleepUntil(clock.instant().plus(c.healthDelay()));
                if (!isActive(slot)) {
                    log.accept("agent: " + slot + " is no longer active after the health check's delay (installed or rolled back meanwhile); its health check is dropped");
                    return Judgement.DROPPED;
                }
            }
            Map<String, String> env = new LinkedHashMap<>();
            env.put("VERIPACK_ROOT", root.toString());
            env.put("VERIPACK_SLOT", slot);
            env.put("VERIPACK_PACKAGE", pkg == null ? "" : pkg);
            env.put("VERIPACK_VERSION", version == null ? "" : version);
            HealthCheck.Outcome h = HealthCheck.run(c.healthCommand(), c.healthTimeout(), env);
            String detail = String.join(" ", c.healthCommand()) + ": " + h.describe(c.healthTimeout());
            if (!isActive(slot)) {
                log.accept("agent: " + slot + " stopped being active while its health check ran (" + h.describe(c.healthTimeout())
                        + "); the result is dropped");
                return Judgement.DROPPED;
            }
            if (h.ok()) {
                audit(AuditEvent.Type.AGENT_HEALTH, pkg, version, slot, AuditEvent.Verdict.ACCEPTED, detail);
                markGood(slot);
                log.accept("agent: " + slot + " passed its health check: good");
                return Judgement.GOOD;
            }
            audit(AuditEvent.Type.AGENT_HEALTH, pkg, version, slot, AuditEvent.Verdict.REJECTED, detail + "; rolling back");
            log.accept("agent: " + slot + " failed its health check (" + h.describe(c.healthTimeout()) + "); rolling back");
            if (pkg != null && version != null) {
                state.failed.computeIfAbsent(pkg, k -> new LinkedHashSet<>()).add(version);
                state.save();
            }
            if (!isActive(slot)) {
                log.accept("agent: " + slot + " is no longer active; not rolled back");
                judged(slot);
                return Judgement.FAILED;
            }
            RollbackResult rb = node.rollback();
            judged(slot); // after the rollback: killed during it, the slot is judged again at the next start
            if (rb.rolledBack()) {
                metrics.rolledBack();
                log.accept("agent: rolled back to " + rb.active());
            } else {
                log.accept("agent: rollback " + rb.outcome() + (rb.reason() == null ? "" : ": " + rb.reason())
                        + rb.findings().stream().map(f -> " " + f.code()).reduce("", String::concat) + "; " + slot + " stays active");
            }
            return Judgement.FAILED;
        } catch (IOException e) {
            log.accept("agent: health check of " + slot + " could not finish: " + e + "; it runs again at the next tick");
            return Judgement.FAILED;
        }
    }

    private boolean isActive(String slot) throws IOException {
        return node.status().active().map(SlotInfo::slot).filter(slot::equals).isPresent();
    }

    private void markGood(String slot) throws IOException {
        state.good = slot;
        judged(slot);
    }

    private void judged(String slot) throws IOException {
        state.judged = slot;
        state.save();
    }

    private void checkIntegrity() {
        AgentConfig c = config;
        try {
            long start = System.nanoTime(); // a duration, not a point in time: not the injected clock
            ScanResult s = node.verifyInstalled(); // audits "scan" (INSTALLATION_TAMPERED with the files)
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            if (s.slot() == null) {
                return;
            }
            metrics.integrityChecked(clock.instant(), took, s.intact());
            if (s.intact()) {
                return;
            }
            log.accept("agent: INSTALLATION_TAMPERED in " + s.slot() + ": "
                    + s.findings().stream().map(Finding::subject).distinct().limit(5).toList());
            if (c.tamperAction() == AgentConfig.TamperAction.STOP) {
                HealthCheck.Outcome o = HealthCheck.run(c.stopCommand(), Duration.ofSeconds(60), Map.of("VERIPACK_ROOT", root.toString(),
                        "VERIPACK_SLOT", s.slot()));
                audit(AuditEvent.Type.AGENT_TAMPER_ACTION, null, null, s.slot(), o.ok() ? AuditEvent.Verdict.ACCEPTED : AuditEvent.Verdict.ERROR,
                        String.join(" ", c.stopCommand()) + ": " + o.describe(Duration.ofSeconds(60)));
            }
        } catch (IOException | RuntimeException e) {
            log.accept("agent: verify-installed failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The package the agent follows: configured, else the node's product, else the active one's name. */
    private String packageName() throws IOException {
        if (config.packageName() != null) {
            return config.packageName();
        }
        NodeStatus s = node.status();
        return s.product() != null ? s.product() : s.active().map(a -> a.identity().name()).orElse(null);
    }

    /** The newest approved version when it was left out because it failed its health check here, else empty. */
    private Optional<String> skippedFailed() {
        try {
            String pkg = packageName();
            Optional<String> newest = approvedVersions(pkg).stream().reduce((a, b) -> DebianVersion.compare(a, b) >= 0 ? a : b);
            return newest.filter(v -> state.failed(pkg, v));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Active package info, metadata expiry and how far behind, from the node's status and trusted metadata. */
    private void refreshStatus() {
        try {
            NodeStatus s = node.status();
            SlotInfo a = s.active().orElse(null);
            metrics.active(a == null ? null : a.identity().name(), a == null ? null : a.identity().version(), a == null ? null : a.slot());
            TrustedMetadata t = trusted();
            if (t == null) {
                return;
            }
            Map<String, Instant> expiry = new LinkedHashMap<>();
            expiry.put("root", t.root().metadata().expires());
            for (var e : Map.of("timestamp", Optional.ofNullable(t.timestamp()), "snapshot", Optional.ofNullable(t.snapshot()),
                    "targets", Optional.ofNullable(t.targets())).entrySet()) {
                e.getValue().ifPresent(x -> expiry.put(e.getKey(), x.metadata().expires()));
            }
            metrics.repositoryExpiry(expiry);
            String pkg = packageName();
            int behind = 0;
            if (a != null && pkg != null) {
                for (String v : approvedVersions(pkg)) {
                    if (DebianVersion.isValid(v) && DebianVersion.compare(v, a.identity().version()) > 0) {
                        behind++;
                    }
                }
            }
            if (behind == 0) {
                state.behindSince = null;
            } else if (state.behindSince == null) {
                state.behindSince = clock.instant();
            }
            state.save();
            metrics.behind(behind, state.behindSince);
        } catch (IOException | RuntimeException e) {
            log.accept("agent: status for the metrics: " + e);
        }
    }

    /** The versions of {@code pkg} the node's trusted targets metadata approves (the node verified it when it was fetched). */
    private List<String> approvedVersions(String pkg) throws IOException {
        TrustedMetadata t = trusted();
        if (t == null || t.targets() == null || pkg == null) {
            return List.of();
        }
        try {
            return t.targets().metadata().targets("targets").values().stream()
                    .filter(f -> pkg.equals(NodeUpdate.customName(f)) || pkg.equals(f.name()))
                    .map(NodeUpdate::customVersion).filter(Objects::nonNull).toList();
        } catch (RepositoryException e) {
            return List.of();
        }
    }

    private TrustedMetadata trusted() throws IOException {
        Path dir = NodeFiles.updateState(root);
        if (!Files.isRegularFile(dir.resolve("root.json"))) {
            return null;
        }
        try {
            return TrustedMetadata.restore(read(dir.resolve("root.json")), read(dir.resolve("timestamp.json")),
                    read(dir.resolve("snapshot.json")), read(dir.resolve("targets.json")));
        } catch (RepositoryException e) {
            return null;
        }
    }

    private static byte[] read(Path p) throws IOException {
        return Files.isRegularFile(p) ? Files.readAllBytes(p) : null;
    }

    /** Appends an agent event to the node's audit log. */
    void audit(AuditEvent.Type type, String pkg, String version, String slot, AuditEvent.Verdict verdict, String detail) throws IOException {
        node.auditLog().append(new AuditEvent(type, pkg, version, slot, verdict, List.of(), detail));
    }

    /** Starts the export's poller (every second) for {@code export}; closed with the returned executor. */
    static ScheduledExecutorService follow(AuditExport export, Consumer<String> log) {
        ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "veripack-audit-follow");
            t.setDaemon(true);
            return t;
        });
        s.scheduleWithFixedDelay(() -> {
            try {
                export.poll();
            } catch (IOException | RuntimeException e) {
                log.accept("audit export: " + e);
            }
        }, 0, 1, TimeUnit.SECONDS);
        return s;
    }

    /** This host's name for syslog lines without one. */
    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "-";
        }
    }
}
