package org.veripack.node.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.veripack.core.ArtifactRecord;
import org.veripack.core.ArtifactType;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.PackageFormat;
import org.veripack.core.PackageIdentity;
import org.veripack.core.ReportFormat;
import org.veripack.core.SignerSummary;
import org.veripack.core.VerificationReport;
import org.veripack.core.WarningCode;
import org.veripack.node.AuditEvent;
import org.veripack.node.IdentityCheck;
import org.veripack.node.AuditLog;
import org.veripack.node.InstallResult;

/**
 * The installer's steps after the single verify-while-extract pass, all under the node lock:
 * node checks → finalise the staged tree read-only → seal record → move slot into place → atomic
 * activation ({@link ActivationState}) → raise the version floor → audit → discard unreferenced slots
 * ({@link SlotCollector}). Also the activation of a rollback target.
 *
 * <p>Crash invariant (docs/node.md "Install sequence"; tested by the CLI's FaultMatrixTest): {@code current}
 * only ever names a slot that was completely written, made read-only, fsync'ed and sealed before the symlink
 * was renamed over {@code current}; each step below is either idempotent or undone by {@link Recovery#recover()}.
 */
public final class Installer {

    private final NodeLayout layout;
    private final StateStore state;
    private final AuditLog audit;
    private final Clock clock;
    private final ActivationState activation;
    private final SlotCollector collector;
    private final SlotReverifier reverifier;

    public Installer(NodeLayout layout, StateStore state, AuditLog audit, Clock clock) {
        this.layout = layout;
        this.state = state;
        this.audit = audit;
        this.clock = clock;
        this.activation = new ActivationState(layout, state);
        this.collector = new SlotCollector(layout, state, activation);
        this.reverifier = new SlotReverifier(layout, state);
    }

    /** The node's activation state ({@code current}, {@code previous}, {@code versions.json}), which this installer changes. */
    public ActivationState activation() {
        return activation;
    }

    /** A fresh private work directory {@code NODE/staging/<random>} with an empty {@code slot/} inside. */
    public Path newWorkDir() throws IOException {
        Path work = layout.staging().resolve("install" + DurableFiles.tempSuffix().replace(".tmp-", "-"));
        Files.createDirectory(work, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.createDirectory(work.resolve("slot"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        return work;
    }

    /**
     * Node checks, seal and activation of an ACCEPTED staged package.
     *
     * <p>Order: identity syntax; the caller's {@code expected} identity; one node, one product ({@link FindingCode#PACKAGE_MISMATCH} against
     * {@code product} — from {@code config.yaml}, else fixed by the first activation); when the package is the
     * active one, its slot is re-verified: intact → ALREADY_ACTIVE (even when the version floor is higher:
     * the floor refuses versions lower than itself, the active version is not a downgrade of itself), tampered
     * → REPAIRED; otherwise anti-rollback; then the staged tree must equal the verified artifacts; the seal
     * must be bound to the proof ({@link SealedEvidence#checkAgainstProof}: what the signature binds, as the guard will
     * find it; the signature is not verified again) before anything is activated.
     *
     * @param product  the node's product name from {@code config.yaml}, or null when not configured
     * @param expected the caller's check of the verified identity (a finding refuses the package)
     */
    public InstallResult commit(StagedPackage p, boolean antiRollback, String product, IdentityCheck expected)
            throws IOException {
        VerificationReport report = p.report();
        PackageIdentity id = report.identity().orElseThrow(() -> new IllegalStateException("ACCEPTED report without identity"));
        Optional<Finding> bad = checkSyntax(id);
        if (bad.isEmpty()) {
            bad = expected.check(id);
        }
        if (bad.isEmpty()) {
            bad = checkProduct(id, product);
        }
        String base = bad.isEmpty() ? slotName(id, p.manifestBytes()) : null;
        Optional<String> oldCurrent = activation.current();
        Optional<String> oldPrevious = activation.previous();
        boolean sameAsActive = base != null && oldCurrent.isPresent() && isSlotOf(oldCurrent.get(), base);
        List<Finding> activeFindings = List.of();
        if (sameAsActive) {
            activeFindings = reverifier.verify(oldCurrent.get());
            if (activeFindings.isEmpty()) {
                DurableFiles.deleteTree(p.workDir());
                audit.append(event(AuditEvent.Type.INSTALL_ACCEPTED, id, oldCurrent.get(), AuditEvent.Verdict.ACCEPTED, List.of(),
                        "identical package already active, slot re-verified intact"));
                recordLastVerification("install", oldCurrent.get(), report);
                return new InstallResult(InstallResult.Outcome.ALREADY_ACTIVE, report, oldCurrent.get(), oldPrevious.orElse(null));
            }
        } else if (bad.isEmpty()) {
            bad = activation.checkFloor(id, antiRollback);
        }
        if (bad.isEmpty()) {
            bad = checkSinkAgreesWithManifest(p);
        }
        if (bad.isPresent()) {
            return reject(Reports.withFinding(report, bad.get()), p.workDir());
        }
        String slot = sameAsActive ? repairSlotName(base) : base;
        List<InstalledEntry> entries = installedEntries(p.artifacts());
        p.sink().awaitDurable();
        Path staged = p.workDir().resolve("slot");
        finalizeReadOnly(staged, entries);
        Failpoints.hit("install.read-only");
        Path packageCopy = null;
        if (report.format() == PackageFormat.CSAR_OPTION_2) {
            packageCopy = p.workDir().resolve("package");
            Files.copy(p.packageFile(), packageCopy);
            DurableFiles.fsync(packageCopy);
        }
        SealedRecord record = new SealedRecord(slot, id, signerOf(report), clock.instant(), report.verificationTime(),
                report.packageSha256().orElse(null), p.manifestName(), sha256(p.manifestBytes()), entries, p.trust(),
                packageCopy != null, ReportFormat.toJsonTree(report));
        List<Finding> unbound = SealedEvidence.checkAgainstProof(slot, record, p.verified(), packageCopy);
        if (!unbound.isEmpty()) {
            return reject(Reports.withFinding(report, Finding.of(FindingCode.MALFORMED_PACKAGE, "package",
                    "the sealed record is not what the verified package binds (package changed during install?): " + unbound.get(0).detail())), p.workDir());
        }
        state.writeRecord(record, p.manifestBytes(), packageCopy);
        Failpoints.hit("install.sealed");
        // an execute bit taken from the unsigned zip header (archiveExecuteBits: honour) is on record with the install
        List<String> honoured = report.warnings().stream().filter(w -> w.code() == WarningCode.EXECUTE_BIT_FROM_ARCHIVE)
                .map(w -> w.code() + " " + w.subject() + ": " + w.detail()).toList();
        audit.append(event(AuditEvent.Type.INSTALL_ACCEPTED, id, slot, AuditEvent.Verdict.ACCEPTED, List.of(),
                honoured.isEmpty() ? p.manifestName() : p.manifestName() + "; warning: " + String.join("; ", honoured)));
        Failpoints.hit("install.accepted-audited");
        Path target = layout.slotDir(slot);
        DurableFiles.deleteTree(target); // a stale copy of the same slot that is not current (e.g. previous)
        DurableFiles.moveAtomically(staged, target);
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("r-xr-xr-x"));
        DurableFiles.fsync(target);
        DurableFiles.fsync(layout.slots());
        Failpoints.hit("install.slot-moved");
        String newPrevious = sameAsActive ? oldPrevious.orElse(null) : oldCurrent.orElse(null);
        if (sameAsActive) {
            activation.activateRepair(id, slot, newPrevious);
        } else {
            activation.activate(id, slot, newPrevious);
        }
        Failpoints.hit("install.versions-written");
        if (sameAsActive) {
            audit.append(event(AuditEvent.Type.INSTALL_REPAIR, id, slot, AuditEvent.Verdict.ACCEPTED, activeFindings,
                    "tampered slot " + oldCurrent.get() + " replaced by freshly verified bytes; current -> " + slot));
        } else {
            audit.append(event(AuditEvent.Type.ACTIVATION, id, slot, AuditEvent.Verdict.ACCEPTED, List.of(),
                    "current -> " + slot + (newPrevious == null ? "" : ", previous -> " + newPrevious)));
        }
        Failpoints.hit("install.activation-audited");
        recordLastVerification("install", slot, report);
        DurableFiles.deleteTree(p.workDir());
        Failpoints.hit("install.staging-removed");
        collector.collect();
        return new InstallResult(sameAsActive ? InstallResult.Outcome.REPAIRED : InstallResult.Outcome.ACTIVATED, report, slot, newPrevious);
    }

    /** Whether {@code slot} holds the package whose slot name is {@code base} (itself or a repair of it). */
    static boolean isSlotOf(String slot, String base) {
        return slot.equals(base) || (slot.startsWith(base + "~r") && slot.substring(base.length() + 2).matches("[0-9]{1,9}"));
    }

    /** {@code base~rN} with the smallest N whose directory does not exist. */
    private String repairSlotName(String base) {
        for (int n = 1; ; n++) {
            String s = base + "~r" + n;
            if (!Files.exists(layout.slotDir(s), LinkOption.NOFOLLOW_LINKS) && !Files.exists(layout.recordFile(s), LinkOption.NOFOLLOW_LINKS)) {
                return s;
            }
        }
    }

    /** Refusal: audit, status, staging removed; {@code current} is never touched. */
    public InstallResult reject(VerificationReport report, Path workDir) throws IOException {
        if (workDir != null) {
            DurableFiles.deleteTree(workDir);
        }
        PackageIdentity id = report.identity().orElse(null);
        audit.append(new AuditEvent(AuditEvent.Type.INSTALL_REJECTED, id == null ? null : id.name(), id == null ? null : id.version(),
                null, AuditEvent.Verdict.REJECTED, codes(report.findings()), null));
        recordLastVerification("install", null, report);
        return new InstallResult(InstallResult.Outcome.REJECTED, report, activation.current().orElse(null),
                activation.previous().orElse(null));
    }

    private static Optional<Finding> checkSyntax(PackageIdentity id) {
        return id.installProblem().map(problem -> Finding.of(FindingCode.MALFORMED_PACKAGE, "package", problem));
    }

    /**
     * One node runs one product, so a validly signed package of another product cannot replace the active
     * one and sidestep its version floor (docs/node.md "Install sequence"): {@code configured} ({@code product:}
     * in config.yaml) or else the product fixed by the first activation; another name is {@link FindingCode#PACKAGE_MISMATCH}.
     */
    public Optional<Finding> checkProduct(PackageIdentity id, String configured) throws IOException {
        String product = configured != null ? configured : activation.product().orElse(null);
        if (product != null && !product.equals(id.name())) {
            return Optional.of(Finding.mismatch(FindingCode.PACKAGE_MISMATCH, "package",
                    "this node runs another product" + (configured != null ? " (product in config.yaml)" : " (fixed by its first activation)"),
                    product, id.name()));
        }
        return Optional.empty();
    }

    /** The tree in staging must hold exactly the verified artifacts (defence in depth against a verifier bug). */
    private static Optional<Finding> checkSinkAgreesWithManifest(StagedPackage p) {
        Map<String, StagingSink.Written> written = p.sink().written();
        for (ArtifactRecord a : p.artifacts()) {
            StagingSink.Written w = written.get(a.path());
            if (w == null || w.type() != a.type() || (a.type() == ArtifactType.FILE && w.bytes() != a.sizeBytes())
                    || (a.type() == ArtifactType.SYMLINK && !w.linkTarget().equals(a.linkTarget()))) {
                return Optional.of(Finding.of(FindingCode.MALFORMED_PACKAGE, a.path(),
                        "the bytes extracted do not agree with the verified artifact record"));
            }
        }
        Set<String> listed = new LinkedHashSet<>();
        p.artifacts().forEach(a -> listed.add(a.path()));
        for (String path : written.keySet()) {
            if (!listed.contains(path)) {
                return Optional.of(Finding.of(FindingCode.ARTIFACT_UNLISTED, path, "extracted but not among the verified artifacts"));
            }
        }
        return Optional.empty();
    }

    /** The verified artifacts plus the parent directories they imply, sorted by path. */
    static List<InstalledEntry> installedEntries(List<ArtifactRecord> artifacts) {
        Map<String, InstalledEntry> m = new LinkedHashMap<>();
        for (ArtifactRecord a : artifacts) {
            m.put(a.path(), InstalledEntry.of(a));
        }
        for (ArtifactRecord a : artifacts) {
            String p = a.path();
            for (int i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) {
                m.putIfAbsent(p.substring(0, i), InstalledEntry.impliedDirectory(p.substring(0, i)));
            }
        }
        List<InstalledEntry> out = new ArrayList<>(m.values());
        out.sort(Comparator.comparing(InstalledEntry::path));
        return out;
    }

    /**
     * Checks files carry 0444/0555 by exec bit (the sink set and fsync'ed them), then makes directories
     * 0555 (deepest first), each fsync'ed; the slot root stays 0700 until moved.
     */
    static void finalizeReadOnly(Path slotRoot, List<InstalledEntry> entries) throws IOException {
        List<InstalledEntry> dirs = new ArrayList<>();
        for (InstalledEntry e : entries) {
            Path p = slotRoot.resolve(e.path());
            switch (e.type()) {
                case FILE -> {
                    if (SlotVerifier.toMode(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)) != e.installedMode()) {
                        Files.setPosixFilePermissions(p, fromMode(e.installedMode()));
                        DurableFiles.fsync(p);
                    }
                }
                case DIRECTORY -> {
                    Files.createDirectories(p);
                    dirs.add(e);
                }
                case SYMLINK -> { }
                default -> throw new IllegalStateException("unknown type " + e.type());
            }
        }
        dirs.sort(Comparator.comparing((InstalledEntry e) -> e.path().length()).reversed());
        for (InstalledEntry d : dirs) {
            Path p = slotRoot.resolve(d.path());
            DurableFiles.fsync(p);
            Files.setPosixFilePermissions(p, fromMode(0555));
        }
        DurableFiles.fsync(slotRoot);
    }

    /**
     * Activates the rollback target {@code target} (re-verified by the caller) in place of {@code from}, the active
     * slot holding {@code fromId} ({@link ActivationState#rollBackTo}: {@code versions.json}, {@code current},
     * {@code previous} removed), audited {@code rollback}, and the slot rolled back from discarded.
     */
    public void rollBackTo(String target, PackageIdentity targetId, String from, PackageIdentity fromId) throws IOException {
        activation.rollBackTo(target, fromId == null ? null : fromId.version());
        audit.append(event(AuditEvent.Type.ROLLBACK, targetId, target, AuditEvent.Verdict.ACCEPTED, List.of(),
                "current -> " + target + (from == null ? "" : ", rolled back from " + from + "; no previous")));
        recordLastVerification("rollback", target, "ACCEPTED", List.of());
        collector.collect();
    }

    /** Writes {@code state/last-verification.json}. */
    public void recordLastVerification(String event, String slot, VerificationReport report) throws IOException {
        recordLastVerification(event, slot, report.verdict().name(), report.findings());
    }

    public void recordLastVerification(String event, String slot, String verdict, List<Finding> findings) throws IOException {
        ObjectNode o = state.newObject();
        o.put("time", clock.instant().toString());
        o.put("event", event);
        o.put("slot", slot);
        o.put("verdict", verdict);
        ArrayNode f = o.putArray("findings");
        codes(findings).forEach(f::add);
        state.writeLastVerification(o);
    }

    public static List<String> codes(List<Finding> findings) {
        return findings.stream().map(f -> f.code().name()).distinct().toList();
    }

    public static AuditEvent event(AuditEvent.Type type, PackageIdentity id, String slot, AuditEvent.Verdict verdict, List<Finding> findings,
                                   String detail) {
        return new AuditEvent(type, id == null ? null : id.name(), id == null ? null : id.version(), slot, verdict, codes(findings), detail);
    }

    static String slotName(PackageIdentity id, byte[] manifest) {
        return id.name() + "-" + id.version().replace(':', '_') + "-" + sha256(manifest).substring(0, 12);
    }

    private static String signerOf(VerificationReport r) {
        List<SignerSummary> s = r.signers();
        return s.isEmpty() ? null : s.get(0).subject();
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is mandatory in every JDK", e);
        }
    }

    static java.util.Set<java.nio.file.attribute.PosixFilePermission> fromMode(int mode) {
        StringBuilder sb = new StringBuilder();
        String rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) {
            sb.append((mode & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
        }
        return PosixFilePermissions.fromString(sb.toString());
    }
}
