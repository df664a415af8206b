package org.veripack.node;

import java.util.List;
import org.veripack.core.Finding;

/**
 * Result of {@link Node#verifyInstalled()}: the active slot re-verified against its sealed record (with the
 * trust sealed at install), then, when intact, its sealed signature checked against the node's current trust
 * store.
 *
 * @param slot         the active slot, or null when nothing is installed
 * @param findings     every {@code INSTALLATION_TAMPERED} finding; empty when intact
 * @param currentTrust when intact: a {@code SIGNER_NO_LONGER_TRUSTED} finding if the node's current trust store
 *                     does not accept the slot's signature any more, else empty
 */
public record ScanResult(String slot, List<Finding> findings, List<Finding> currentTrust) {
    public ScanResult {
        findings = List.copyOf(findings);
        currentTrust = List.copyOf(currentTrust);
    }

    /** The slot matches its sealed, signed record. */
    public boolean intact() { return slot != null && findings.isEmpty(); }

    /** Intact, and its signature is accepted by the node's current trust store. */
    public boolean trustedNow() { return intact() && currentTrust.isEmpty(); }
}
