package org.veripack.node.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.TrustPolicy;
import org.veripack.core.VerificationReport;
import org.veripack.node.NodeTrust;

/**
 * The guard's re-verification of an installed slot (docs/node.md "Guard re-verification", "Sealed trust and current
 * trust"), used by {@code run}, {@code verify-installed}, {@code rollback} and the re-install of the active package:
 * the sealed trust must be one the trust administrator set, the sealed record must be bound to the vendor's
 * signature ({@link SealedEvidence}) and the slot must match the record ({@link SlotVerifier}); and, for an intact
 * slot, whether the node's current trust store still accepts its signature. Reads only; nothing is cached.
 */
public final class SlotReverifier {
    private final NodeLayout layout;
    private final StateStore state;

    public SlotReverifier(NodeLayout layout, StateStore state) {
        this.layout = layout;
        this.state = state;
    }

    /**
     * Re-verifies {@code slot}: first the sealed record is bound to the vendor signature
     * ({@link SealedEvidence}: the sealed manifest's CMS with the sealed anchors at the sealed verification
     * instant, digests from the signed manifest), then every installed entry against the record
     * ({@link SlotVerifier}; the entries are hashed concurrently with the signature check, and their findings
     * are returned only when the record is bound). Before that the sealed trust must be one the node's trust
     * administrator set ({@link #foreignTrust}). Nothing is cached between calls.
     *
     * @return {@link FindingCode#INSTALLATION_TAMPERED} findings; empty when intact
     * @throws NodeTrustException when the node's trust policy is invalid (CLI exit 2)
     */
    public List<Finding> verify(String slot) throws IOException {
        Optional<SealedRecord> r;
        try {
            r = state.readRecord(slot);
        } catch (IOException e) {
            if (e instanceof java.nio.file.AccessDeniedException) {
                throw e;
            }
            return List.of(Finding.of(FindingCode.INSTALLATION_TAMPERED, slot, "sealed record unreadable: " + e.getMessage()));
        }
        if (r.isEmpty()) {
            return List.of(Finding.of(FindingCode.INSTALLATION_TAMPERED, slot, "no sealed record for this slot"));
        }
        if (!r.get().slot().equals(slot)) {
            return List.of(Finding.of(FindingCode.INSTALLATION_TAMPERED, slot, "sealed record names another slot"));
        }
        Optional<Finding> foreign = foreignTrust(r.get());
        if (foreign.isPresent()) {
            return List.of(foreign.get());
        }
        byte[] mf;
        try {
            mf = Files.readAllBytes(layout.manifestFile(slot));
        } catch (java.nio.file.NoSuchFileException e) {
            mf = null;
        }
        // The entries are hashed while the sealed signature is re-verified (on a 2-core node this hides the CMS
        // and path check); their findings count only once the record is bound to the vendor signature.
        SealedRecord record = r.get();
        java.util.concurrent.FutureTask<List<Finding>> entries =
                new java.util.concurrent.FutureTask<>(() -> SlotVerifier.verify(layout.slotDir(slot), record.entries()));
        Thread hashing = new Thread(entries, "veripack-slot-hash");
        hashing.setDaemon(true);
        hashing.start();
        List<Finding> unbound = SealedEvidence.check(slot, record, mf, layout.packageFile(slot));
        if (!unbound.isEmpty()) {
            entries.cancel(true);
            return unbound;
        }
        try {
            return entries.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while re-verifying slot " + slot);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * The sealed trust counts only when the node's trust administrator set it: {@code state/} is writable by the
     * installer account, which could otherwise seal a slot signed by its own PKI together with that PKI's root, or
     * a genuine root with relaxed rules (docs/node.md "Sealed trust and current trust").
     *
     * @return an {@link FindingCode#INSTALLATION_TAMPERED} finding (expected: the current store's anchor
     *         fingerprints, actual: the sealed ones) when the sealed trust's administered form is neither the current
     *         store's nor in {@code config/trust-history.jsonl}
     */
    private Optional<Finding> foreignTrust(SealedRecord r) throws IOException {
        NodeTrust store = NodeTrust.of(layout.root());
        List<SealedTrust> admitted = store.administeredTrust();
        if (admitted.contains(r.trust().administeredForm())) {
            return Optional.empty();
        }
        return Optional.of(Finding.mismatch(FindingCode.INSTALLATION_TAMPERED, "trust",
                "the sealed trust is neither the node's trust store nor one its trust administrator set before ("
                        + NodeTrust.HISTORY_FILE + ")",
                admitted.isEmpty() ? "none" : fingerprints(admitted.get(0).trustAnchors()), fingerprints(r.trust().trustAnchors())));
    }

    private static String fingerprints(List<X509Certificate> anchors) {
        return anchors.stream().map(NodeTrust::fingerprint).toList().toString();
    }

    /**
     * Whether the node's current trust store still accepts an intact slot's signature (call after
     * {@link #verify} found it intact): the sealed signature is verified again under {@code current} at the
     * sealed verification instant, offline ({@link SealedEvidence#reverify}). The guard keeps using the trust
     * sealed at install; this tells the operator when retiring an anchor or tightening a rule left a slot behind.
     *
     * @return one {@link FindingCode#SIGNER_NO_LONGER_TRUSTED} finding (actual: the codes the current policy
     *         gives), or empty when the current policy accepts it
     */
    public List<Finding> currentTrust(String slot, TrustPolicy current) throws IOException {
        Optional<SealedRecord> r = state.readRecord(slot);
        if (r.isEmpty()) {
            return List.of(Finding.of(FindingCode.INSTALLATION_TAMPERED, slot, "no sealed record for this slot"));
        }
        byte[] mf = Files.readAllBytes(layout.manifestFile(slot));
        VerificationReport report = SealedEvidence.reverify(r.get(), mf, layout.packageFile(slot), current);
        if (report.accepted()) {
            return List.of();
        }
        List<String> codes = Installer.codes(report.findings());
        return List.of(Finding.mismatch(FindingCode.SIGNER_NO_LONGER_TRUSTED, slot,
                "the node's current trust store does not accept this slot's signature (signed by " + r.get().signer()
                        + ", verified at " + r.get().verifiedAt() + ")", "ACCEPTED", String.join(",", codes)));
    }
}
