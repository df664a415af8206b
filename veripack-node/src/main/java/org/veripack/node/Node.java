package org.veripack.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.PackageFormat;
import org.veripack.core.PackageRejectedException;
import org.veripack.core.PackageVerifier;
import org.veripack.core.ProgressListener;
import org.veripack.core.RevocationSource;
import org.veripack.core.VerifiedPackage;
import org.veripack.node.internal.ActivationState;
import org.veripack.node.internal.Failpoints;
import org.veripack.node.internal.Guard;
import org.veripack.node.internal.Installer;
import org.veripack.node.internal.NodeLayout;
import org.veripack.node.internal.NodeLock;
import org.veripack.node.internal.Recovery;
import org.veripack.node.internal.Reports;
import org.veripack.node.internal.SealedRecord;
import org.veripack.node.internal.SealedTrust;
import org.veripack.node.internal.SlotReverifier;
import org.veripack.node.internal.StagedPackage;
import org.veripack.node.internal.StagingSink;
import org.veripack.node.internal.StateStore;

/**
 * A network node root (docs/node.md "Node root layout"): verified install/upgrade into read-only slots,
 * atomic activation, rollback, the guard's re-verification, status and the audit log.
 *
 * <p>Concurrency: install and rollback take the exclusive node lock ({@code NODE/lock}) and fail with
 * {@link NodeBusyException} when another process holds it. Every other operation first tries the lock
 * without waiting and, when it gets it, runs crash recovery (staging emptied, half-done activation
 * finished or discarded; one audited {@code recovery} event); it then works read-only on the slot
 * {@code current} names at that instant (slots are immutable).
 *
 * <p>Errors: {@link IOException} for environment failures (CLI exit 3); bad packages never throw, they
 * return a REJECTED {@link InstallResult} with findings.
 */
public final class Node {
    private final NodeLayout layout;
    private final Clock clock;
    private final StateStore state;
    private final AuditLog audit;
    private final Installer installer;
    private final ActivationState activation;
    private final NodeTrust trust;
    private final Guard guard;
    private final Recovery recovery;
    private final SlotReverifier reverifier;

    private Node(Path root, Clock clock) {
        this.layout = new NodeLayout(root);
        this.trust = NodeTrust.of(root);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.state = new StateStore(layout);
        this.audit = new AuditLog(layout.auditLog(), layout.auditHeadFile(), clock);
        this.installer = new Installer(layout, state, audit, clock);
        this.activation = installer.activation();
        this.guard = new Guard(layout, state, installer, audit, trust);
        this.recovery = new Recovery(layout, state, activation, audit);
        this.reverifier = new SlotReverifier(layout, state);
    }

    /**
     * Opens (and for a new root, creates) the node root with its directories, then runs recovery if no
     * installer is active. Before anything is read or written the root passes the node-root guard
     * ({@link #checkRoot}, which includes the trust store's {@code config/}); missing directories are created
     * with safe modes.
     *
     * @param root  node root directory
     * @param clock time source for audit events, install times and state (inject {@code Clock.fixed} in tests)
     * @throws UnsafeNodeRootException when the root is not a directory, cannot be created, or it or one of its
     *                                 directories is foreign-owned or group/world-writable (CLI exit 2)
     */
    public static Node open(Path root, Clock clock) throws IOException {
        Node n = new Node(root, clock);
        n.layout.prepare(true, true, NodeAccess.Caller.current().uid());
        n.trust.requireProtected();
        n.recoverIfIdle();
        return n;
    }

    /**
     * Opens an existing node root (status, run, verify-installed, rollback) after the node-root guard
     * ({@link #checkRoot}) and runs recovery if idle.
     *
     * @throws NoSuchFileException     when {@code root} is not an initialised node root (CLI exit 2)
     * @throws UnsafeNodeRootException when the root or one of its directories is unsafe (CLI exit 2)
     */
    public static Node openExisting(Path root, Clock clock) throws IOException {
        Node n = new Node(root, clock);
        if (!n.layout.exists()) {
            throw new NoSuchFileException(root.toString(), null, "not a node root (no slots/ and state/)");
        }
        n.layout.prepare(false, true, NodeAccess.Caller.current().uid());
        n.trust.requireProtected();
        n.recoverIfIdle();
        return n;
    }

    /**
     * The node-root guard alone, for commands that read the node without opening it ({@code audit verify}):
     * {@code root} and every directory above it, and its {@code state/}, {@code slots/}, {@code audit/},
     * {@code staging/} directories, must be owned by root or the invoking user and not writable by group or
     * others (sshd StrictModes, {@link NodeAccess#requireProtected}). An attacker who could write any of them
     * could swap slots and sealed records together, so every node command refuses such a root. The trust store's
     * {@code config/} directory and its files must be owned by root or the node root's owner and not be writable by
     * group or others ({@link NodeTrust#requireProtected()}).
     *
     * @throws UnsafeNodeRootException naming the first unsafe path (CLI exit 2)
     * @throws NoSuchFileException     when {@code root} does not exist
     */
    public static void checkRoot(Path root) throws IOException {
        NodeLayout layout = new NodeLayout(root);
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(root.toString(), null, "not a node root (does not exist)");
        }
        layout.prepare(false, false, NodeAccess.Caller.current().uid());
        NodeTrust.of(root).requireProtected();
    }

    public Path root() { return layout.root(); }

    public AuditLog auditLog() { return audit; }

    /** Runs recovery when no other process holds the lock; returns what recovery did (empty if nothing or busy). */
    public List<String> recoverIfIdle() throws IOException {
        Optional<NodeLock> lock = NodeLock.tryAcquire(layout);
        if (lock.isEmpty()) {
            return List.of();
        }
        try (NodeLock l = lock.get()) {
            try {
                activation.current();
            } catch (IOException replacedLink) {
                // a replaced current link (e.g. pointing outside slots/) is tampering, not a crash: recovery
                // neither repairs it nor collects slots by it; the guard and verify-installed refuse it
                // (INSTALLATION_TAMPERED, exit 126 for run: docs/node.md "Install sequence")
                return List.of();
            }
            return recovery.recover();
        }
    }

    /**
     * Installs or upgrades from a CSAR (SOL004 option 1 or 2) under the node's own trust policy
     * ({@link NodeTrust#load()}: {@code NODE/config/policy.yaml}; the caller never chooses the trust, TS 33.117
     * §4.2.3.3.5), verified at this node's clock: one pass verifies and streams every artifact
     * into {@code NODE/staging} only; on ACCEPTED the node checks identity syntax, one product per node
     * ({@link FindingCode#PACKAGE_MISMATCH} against {@code product:} in {@code config.yaml} or the first
     * activation) and anti-rollback ({@link FindingCode#VERSION_ROLLBACK} unless the policy's
     * {@code antiRollback} is false), makes the slot read-only, seals the signed manifest, the policy's trust
     * anchors/intermediates/TSA roots, the manifest's certificates, the verification instant, report and entries
     * into {@code NODE/state} (for option 2 also a copy of the package), and activates it by atomic rename of
     * {@code current} ({@code previous} keeps the old one). The package that is already active is not
     * re-installed: its slot is re-verified and, when tampered, replaced by the freshly verified bytes in a new
     * slot directory (REPAIRED, audited {@code install.repair}).
     *
     * <p>Every attempt leaves an audit event with its verdict and finding codes: {@code install.accepted}
     * (or {@code install.repair}), {@code install.rejected}, or {@code install.failed} with verdict
     * {@code ERROR} when it ended in an exception of any kind (no usable trust store, node busy, I/O, an
     * internal error, even an {@link Error}), which is then rethrown.
     *
     * @param csar       the package (its file is copied into {@code NODE/state} for option 2)
     * @param revocation where revocation data comes from when the node's policy asks for it
     * @return ACTIVATED, ALREADY_ACTIVE, REPAIRED or REJECTED (staging removed, {@code current} untouched)
     * @throws NodeTrustException      when the node has no trust store or its policy is invalid (CLI exit 2)
     * @throws UnsafeNodeRootException when {@code config.yaml} or a trust file is unprotected, or config.yaml is
     *                                 invalid (CLI exit 2)
     * @throws NodeBusyException when another installer holds the lock
     * @throws IOException       on I/O failure (staging removed, {@code current} untouched)
     */
    public InstallResult install(Path csar, RevocationSource revocation) throws IOException {
        return install(csar, revocation, ProgressListener.NONE);
    }

    /**
     * As {@link #install(Path, RevocationSource)}, telling {@code progress} how far the package's verifying and
     * writing pass has got ({@link PackageVerifier#withProgress}).
     */
    public InstallResult install(Path csar, RevocationSource revocation, ProgressListener progress) throws IOException {
        return install(csar, revocation, progress, IdentityCheck.NONE);
    }

    /**
     * As {@link #install(Path, RevocationSource)}, refusing the package when {@code expected} finds its verified
     * identity is not what the caller chose it as (checked after the identity syntax, before the product, the active
     * slot and anti-rollback: nothing is written to a slot; REJECTED with that finding, audited {@code install.rejected}).
     */
    public InstallResult install(Path csar, RevocationSource revocation, IdentityCheck expected) throws IOException {
        return install(csar, revocation, ProgressListener.NONE, expected);
    }

    private InstallResult install(Path csar, RevocationSource revocation, ProgressListener progress, IdentityCheck expected)
            throws IOException {
        java.util.Objects.requireNonNull(expected, "expected");
        PackageVerifier verifier;
        NodeLock l;
        try {
            verifier = PackageVerifier.create(trust.load(), clock, revocation).withProgress(progress);
            l = lockOrBusy();
        } catch (IOException | RuntimeException | Error e) {
            auditFailure(e); // the log has its own lock: the installer holding the node's may append too
            throw e;
        }
        try (l) {
            Path work = null;
            try {
                recovery.recover();
                work = installer.newWorkDir();
                Failpoints.hit("install.staging-created");
                try (StagingSink sink = new StagingSink(work.resolve("slot"))) {
                    return installVerified(csar, verifier, work, sink, expected);
                }
            } catch (IOException | RuntimeException | Error e) {
                cleanupAfterFailure(work, e);
                throw e;
            }
        }
    }

    private InstallResult installVerified(Path csar, PackageVerifier verifier, Path work, StagingSink sink, IdentityCheck expected)
            throws IOException {
        VerifiedPackage verified;
        try {
            verified = verifier.verifyAndExtract(csar, sink);
        } catch (PackageRejectedException e) {
            return installer.reject(e.report(), work);
        } catch (StagingSink.UnsafeEntryException e) {
            return installer.reject(Reports.single(PackageFormat.CSAR_OPTION_1, clock.instant(),
                    Finding.of(FindingCode.UNSAFE_PATH, e.entry(), e.getMessage())), work);
        }
        Failpoints.hit("install.extracted");
        return installer.commit(new StagedPackage(work, sink, verified,
                SealedTrust.of(verifier.policy(), verified.manifestCertificates()), csar),
                verifier.policy().antiRollback(), configuredProduct(), expected);
    }

    /**
     * {@code product:} from {@code NODE/config.yaml} after its StrictModes check, or null when not configured.
     *
     * @throws UnsafeNodeRootException when config.yaml is unprotected or invalid (CLI exit 2)
     */
    private String configuredProduct() throws IOException {
        Path config = layout.configFile();
        if (!Files.exists(config, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        try {
            NodeAccess.requireProtected(config, NodeAccess.Caller.current().uid());
            return NodeAccess.loadConfig(config).product();
        } catch (NodeAccess.UnsafeFileException e) {
            throw new UnsafeNodeRootException(e.file(), "unprotected node config: " + e.getMessage());
        } catch (org.veripack.core.PolicyException e) {
            throw new UnsafeNodeRootException(config, "invalid node config: " + e.getMessage());
        }
    }

    /** Removes the attempt's work directory (when there is one) and audits the failure; never hides {@code cause}. */
    private void cleanupAfterFailure(Path work, Throwable cause) {
        if (work != null) {
            try {
                org.veripack.node.internal.DurableFiles.deleteTree(work);
            } catch (IOException | RuntimeException suppressed) {
                cause.addSuppressed(suppressed); // recovery at the next command empties staging
            }
        }
        auditFailure(cause);
    }

    /** One {@code install.failed} event, verdict {@code ERROR}, no finding codes, the cause in the detail. */
    private void auditFailure(Throwable cause) {
        try {
            audit.append(new AuditEvent(AuditEvent.Type.INSTALL_FAILED, null, null, null, AuditEvent.Verdict.ERROR, List.of(),
                    cause.getClass().getSimpleName() + ": " + cause.getMessage()));
        } catch (IOException | RuntimeException | Error suppressed) {
            cause.addSuppressed(suppressed);
        }
    }

    /**
     * Rolls back one activation: to the version that was active before the active one (the slot {@code previous}
     * names), never forward. The target is re-verified (its sealed signature with the sealed trust, then every entry
     * against its sealed record), must be the node's product, and the node's current trust store must accept its
     * signature; then it becomes {@code current} and there is no rollback target until the next install (the version
     * rolled back from is discarded: rolling back again would roll forward; install it again to return to it). The
     * version floor is not lowered. Every call is audited: {@code rollback} or {@code rollback.refused} (with the
     * findings, or the reason when there is no target).
     *
     * @return {@link RollbackResult.Outcome#ROLLED_BACK}; {@link RollbackResult.Outcome#NO_TARGET} when nothing is
     *         installed, only one version was ever activated, or the active version was reached by a rollback;
     *         {@link RollbackResult.Outcome#REFUSED} with {@code INSTALLATION_TAMPERED}, {@code PACKAGE_MISMATCH}
     *         (another product) or {@code SIGNER_NO_LONGER_TRUSTED} (nothing changed in both)
     * @throws NodeTrustException      when the node has no trust store or its policy is invalid (CLI exit 2)
     * @throws UnsafeNodeRootException when {@code config.yaml} or a trust file is unprotected or invalid (CLI exit 2)
     * @throws NodeBusyException when another installer holds the lock
     */
    public RollbackResult rollback() throws IOException {
        org.veripack.core.TrustPolicy policy = trust.load();
        try (NodeLock l = lockOrBusy()) {
            recovery.recover();
            Optional<String> current = activation.current();
            Optional<String> previous = activation.previous().filter(p -> !Optional.of(p).equals(current));
            var currentId = current.flatMap(this::identityOf).orElse(null);
            if (previous.isEmpty()) {
                String reason = noRollbackTarget(currentId);
                audit.append(Installer.event(AuditEvent.Type.ROLLBACK_REFUSED, currentId, current.orElse(null), AuditEvent.Verdict.REFUSED, List.of(), reason));
                return new RollbackResult(RollbackResult.Outcome.NO_TARGET, List.of(), current.orElse(null), reason);
            }
            List<Finding> findings = new java.util.ArrayList<>(reverifier.verify(previous.get()));
            Optional<SealedRecord> rec = state.readRecordIfReadable(previous.get());
            var id = rec.map(SealedRecord::identity).orElse(null);
            if (findings.isEmpty() && id != null) {
                // one node, one product also for rollback, so a rollback cannot switch products either
                installer.checkProduct(id, configuredProduct()).ifPresent(findings::add);
            }
            if (findings.isEmpty()) {
                // activating is a trust decision: a version whose signer the node no longer trusts is not re-activated
                findings.addAll(reverifier.currentTrust(previous.get(), policy));
            }
            if (!findings.isEmpty()) {
                audit.append(Installer.event(AuditEvent.Type.ROLLBACK_REFUSED, id, previous.get(), AuditEvent.Verdict.REJECTED, findings, null));
                installer.recordLastVerification("rollback", previous.get(), "REJECTED", findings);
                return new RollbackResult(RollbackResult.Outcome.REFUSED, findings, current.orElse(null),
                        "the rollback target " + previous.get() + " was refused");
            }
            Failpoints.hit("rollback.verified");
            installer.rollBackTo(previous.get(), id, current.orElse(null), currentId);
            return new RollbackResult(RollbackResult.Outcome.ROLLED_BACK, List.of(), previous.get(), null);
        }
    }

    /** Why there is no version to roll back to from {@code active} (null: nothing installed); one line. */
    private String noRollbackTarget(org.veripack.core.PackageIdentity active) throws IOException {
        if (active == null) {
            return "no version to roll back to: nothing is installed on this node";
        }
        String from = activation.versions().rolledBackFrom();
        String name = active.name() + " " + active.version();
        if (from != null) {
            return "no version to roll back to: " + name + " is active since a rollback from " + from
                    + "; rollback goes back one activation and never forward (to return to " + from + ", install it again)";
        }
        return "no version to roll back to: no other version was active before " + name + " on this node";
    }

    private Optional<org.veripack.core.PackageIdentity> identityOf(String slot) {
        try {
            return state.readRecordIfReadable(slot).map(SealedRecord::identity);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether {@link #install} would refuse a package of {@code name} at {@code version} by anti-rollback, known
     * before the package is fetched (a repository's claim, {@code custom.veripack}): the version is lower (Debian
     * ordering) than the highest version of {@code name} ever activated here and the node's policy
     * ({@link NodeTrust#load()}) keeps {@code antiRollback} on. For callers that would otherwise download such a
     * package only to see it refused ({@code NodeUpdate}); the install's check of the package's own vendor-signed
     * identity (docs/node.md) stays the rule. Not the floor's metadata-key rule, and not the active package: the
     * install re-verifies that one (ALREADY_ACTIVE or REPAIRED) whatever the floor, so a caller leaves the active
     * version (and any package, when the active slot's record does not name it) to the install.
     *
     * @return the {@link FindingCode#VERSION_ROLLBACK} finding the install would give, or empty (also when the version
     *         or the floor is not a valid Debian version: the install decides those)
     * @throws NodeTrustException      when the node has no trust store or its policy is invalid
     * @throws UnsafeNodeRootException when a trust file or a directory above it is unprotected
     */
    public Optional<Finding> versionFloorRefusal(String name, String version) throws IOException {
        return activation.checkFloorOrder(name, version, trust.load().antiRollback());
    }

    /**
     * Active and previous slot (from the symlinks), the version floor, the node's product and the last
     * verification result. A bad {@code previous} link (dangling, not a symlink, outside {@code slots/}) does not
     * fail the status: it is reported in {@link NodeStatus#previousProblem()} (recovery removes it, audited).
     */
    public NodeStatus status() throws IOException {
        String problem = activation.previousProblem();
        ActivationState.Versions v = activation.versions();
        return new NodeStatus(slotInfo(activation.current()), problem == null ? slotInfo(activation.previous()) : Optional.empty(),
                v.highestActivated(), state.readLastVerification(), problem, activation.product().orElse(null), v.rolledBackFrom());
    }

    private Optional<SlotInfo> slotInfo(Optional<String> slot) throws IOException {
        if (slot.isEmpty()) {
            return Optional.empty();
        }
        Optional<SealedRecord> r = state.readRecordIfReadable(slot.get());
        return Optional.of(r.map(x -> new SlotInfo(slot.get(), x.identity(), x.signer(), x.installedAt(), x.packageSha256()))
                .orElse(new SlotInfo(slot.get(), null, null, null, null)));
    }

    /**
     * Re-verifies the active slot: sealed signature with the sealed trust, then every entry (audited {@code scan}
     * event). When intact, its sealed signature is also checked against the node's current trust store
     * ({@link NodeTrust#load()}): a slot the current store does not accept any more (an anchor removed, a rule
     * tightened) is reported as {@link FindingCode#SIGNER_NO_LONGER_TRUSTED} in {@link ScanResult#currentTrust()}
     * (audited with that code), distinct from tampering; the guard still runs it.
     *
     * @throws NodeTrustException      when the node has no trust store or its policy is invalid (CLI exit 2)
     * @throws UnsafeNodeRootException when a trust file is unprotected (CLI exit 2)
     */
    public ScanResult verifyInstalled() throws IOException {
        return guard.scan();
    }

    /**
     * The guard's check before {@code run}: re-verifies the sealed signature and every entry of the active slot
     * ({@code SlotReverifier.verify}), then resolves {@code relativeExecutable} inside it. Every refusal is
     * audited {@code guard.refused} with its reason (and findings when tampered); an allowed start is audited
     * {@code guard.allowed}. Refusals: {@link GuardDecision.Refusal#NOTHING_INSTALLED} (no {@code current}),
     * {@link GuardDecision.Refusal#TAMPERED} ({@code INSTALLATION_TAMPERED} findings),
     * {@link GuardDecision.Refusal#BAD_PROGRAM} (the path names no file the signed package marks executable).
     *
     * @param relativeExecutable a relative path without {@code ..} naming a sealed regular file whose signed mode
     *                           has an execute bit (a symlink to one inside the slot is followed)
     */
    public GuardDecision guard(String relativeExecutable) throws IOException {
        return guard.check(relativeExecutable);
    }

    private NodeLock lockOrBusy() throws IOException {
        return NodeLock.tryAcquire(layout).orElseThrow(
                () -> new NodeBusyException("another installer holds the node lock " + layout.lockFile()));
    }
}
