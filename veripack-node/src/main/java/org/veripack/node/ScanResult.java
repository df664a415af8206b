package org.veripack.node;

import java.util.List;
import org.veripack.core.Finding;

/**
 * Result of {@link Node#verifyInstalled()}: the active slot re-verified against its sealed record.
 *
 * @param slot     the active slot, or null when nothing is installed
 * @param findings every {@code INSTALLATION_TAMPERED} finding; empty when intact
 */
public record ScanResult(String slot, List<Finding> findings) {
    public ScanResult {
        findings = List.copyOf(findings);
    }

    public boolean intact() { return slot != null && findings.isEmpty(); }
}
