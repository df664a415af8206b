package org.veripack.node.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.veripack.core.ArtifactType;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.PackageIdentity;
import org.veripack.core.TrustPolicy;
import org.veripack.node.AuditEvent;
import org.veripack.node.AuditLog;
import org.veripack.node.GuardDecision;
import org.veripack.node.NodeTrust;
import org.veripack.node.ScanResult;

/**
 * The guard's decisions on the active slot (docs/node.md "Install sequence", "Sealed trust and current trust"):
 * whether {@code run} may start a program from it ({@link #check}) and what {@code verify-installed} reports
 * ({@link #scan}). Both re-verify the slot the {@code current} link names at that instant
 * ({@link SlotReverifier#verify}: the sealed signature with the sealed trust, then every entry), audit their verdict and
 * record it as the last verification; neither changes the activation state.
 */
public final class Guard {
    private final NodeLayout layout;
    private final ActivationState activation;
    private final StateStore state;
    private final Installer installer;
    private final AuditLog audit;
    private final NodeTrust trust;
    private final SlotReverifier reverifier;

    public Guard(NodeLayout layout, StateStore state, Installer installer, AuditLog audit, NodeTrust trust) {
        this.layout = layout;
        this.activation = installer.activation();
        this.state = state;
        this.installer = installer;
        this.audit = audit;
        this.trust = trust;
        this.reverifier = new SlotReverifier(layout, state);
    }

    /** {@link org.veripack.node.Node#verifyInstalled()}: the scan of the active slot, audited {@code scan}. */
    public ScanResult scan() throws IOException {
        Optional<String> current;
        try {
            current = activation.current();
        } catch (IOException e) {
            return scanRefused(null, List.of(Finding.of(FindingCode.INSTALLATION_TAMPERED, "current", e.getMessage())));
        }
        if (current.isEmpty()) {
            return new ScanResult(null, List.of(), List.of());
        }
        TrustPolicy policy = trust.load();
        List<Finding> findings = reverifier.verify(current.get());
        List<Finding> trustNow = findings.isEmpty() ? reverifier.currentTrust(current.get(), policy) : List.of();
        var id = state.readRecordIfReadable(current.get()).map(SealedRecord::identity).orElse(null);
        AuditEvent.Verdict verdict = findings.isEmpty() ? AuditEvent.Verdict.ACCEPTED : AuditEvent.Verdict.REJECTED;
        List<Finding> all = new ArrayList<>(findings);
        all.addAll(trustNow);
        audit.append(Installer.event(AuditEvent.Type.SCAN, id, current.get(), verdict, all, trustNow.isEmpty() ? null
                : "intact, but the node's current trust store does not accept its signature: " + trustNow.get(0).actual()));
        installer.recordLastVerification("scan", current.get(), verdict.name(), all);
        return new ScanResult(current.get(), findings, trustNow);
    }

    private ScanResult scanRefused(String slot, List<Finding> findings) throws IOException {
        audit.append(Installer.event(AuditEvent.Type.SCAN, null, slot, AuditEvent.Verdict.REJECTED, findings, null));
        installer.recordLastVerification("scan", slot, "REJECTED", findings);
        return new ScanResult(slot, findings, List.of());
    }

    /** {@link org.veripack.node.Node#guard(String)}: the check before {@code run}, audited {@code guard.allowed}/{@code guard.refused}. */
    public GuardDecision check(String relativeExecutable) throws IOException {
        Optional<String> current;
        try {
            current = activation.current();
        } catch (IOException e) {
            return refuse(GuardDecision.Refusal.TAMPERED, null, null,
                    List.of(Finding.of(FindingCode.INSTALLATION_TAMPERED, "current", e.getMessage())), relativeExecutable, e.getMessage());
        }
        if (current.isEmpty()) {
            return refuse(GuardDecision.Refusal.NOTHING_INSTALLED, null, null, List.of(), relativeExecutable, "no active version installed");
        }
        String slot = current.get();
        Optional<SealedRecord> record = state.readRecordIfReadable(slot);
        var id = record.map(SealedRecord::identity).orElse(null);
        List<Finding> findings = reverifier.verify(slot);
        if (!findings.isEmpty()) {
            return refuse(GuardDecision.Refusal.TAMPERED, slot, id, findings, relativeExecutable,
                    "the active slot does not match its sealed, signed record");
        }
        Path slotDir = layout.slotDir(slot);
        Optional<String> bad = programProblem(slotDir, record.get().entries(), relativeExecutable);
        if (bad.isPresent()) {
            return refuse(GuardDecision.Refusal.BAD_PROGRAM, slot, id, List.of(), relativeExecutable, bad.get());
        }
        Path exe = resolveExecutable(slotDir, relativeExecutable).orElseThrow(
                () -> new IllegalStateException("a sealed executable did not resolve in a verified slot"));
        audit.append(Installer.event(AuditEvent.Type.GUARD_ALLOWED, id, slot, AuditEvent.Verdict.ALLOWED, List.of(), relativeExecutable));
        installer.recordLastVerification("guard", slot, "ACCEPTED", List.of());
        return new GuardDecision(true, GuardDecision.Refusal.NONE, slot, slotDir, exe, List.of(), null);
    }

    private GuardDecision refuse(GuardDecision.Refusal why, String slot, PackageIdentity id, List<Finding> findings,
                                 String exe, String reason) throws IOException {
        audit.append(Installer.event(AuditEvent.Type.GUARD_REFUSED, id, slot, AuditEvent.Verdict.REFUSED, findings, exe + ": " + reason));
        if (why != GuardDecision.Refusal.NOTHING_INSTALLED) {
            // with nothing installed nothing was verified: status keeps its last real check (audited all the same)
            installer.recordLastVerification("guard", slot, "REJECTED", findings);
        }
        return new GuardDecision(false, why, slot, slot == null ? null : layout.slotDir(slot), null, findings, reason);
    }

    /**
     * Why {@code rel} is not a program the guard may start from the verified slot, or empty: it must be a
     * relative path without {@code ..}, resolve (following sealed symlinks) to a sealed regular file inside the
     * slot, and that file's signed mode must have an execute bit.
     */
    private static Optional<String> programProblem(Path slotDir, List<InstalledEntry> entries, String rel)
            throws IOException {
        Optional<Path> resolved = resolveExecutable(slotDir, rel);
        if (resolved.isEmpty()) {
            return Optional.of("not a relative path to an executable file inside the active slot");
        }
        String inSlot = slotDir.toRealPath().relativize(resolved.get()).toString().replace('\\', '/');
        for (var e : entries) {
            if (e.path().equals(inSlot) && e.type() == ArtifactType.FILE) {
                return (e.signedMode() & 0111) != 0 ? Optional.empty()
                        : Optional.of("the signed package does not mark " + inSlot + " executable (mode "
                                + String.format("%04o", e.signedMode()) + ")");
            }
        }
        return Optional.of("not a sealed file of the active slot: " + inSlot);
    }

    /** Resolves a relative program path inside the slot: no absolute path, no {@code ..}, stays inside, executable. */
    private static Optional<Path> resolveExecutable(Path slotDir, String rel) throws IOException {
        if (rel == null || rel.isEmpty() || rel.startsWith("/") || rel.indexOf('\0') >= 0) {
            return Optional.empty();
        }
        for (String seg : rel.split("/", -1)) {
            if (seg.equals("..")) {
                return Optional.empty();
            }
        }
        Path candidate = slotDir.resolve(rel).normalize();
        if (!candidate.startsWith(slotDir) || !Files.exists(candidate)) {
            return Optional.empty();
        }
        Path real = candidate.toRealPath();
        Path realSlot = slotDir.toRealPath();
        if (!real.startsWith(realSlot) || !Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS) || !Files.isExecutable(real)) {
            return Optional.empty();
        }
        return Optional.of(real);
    }
}
