package org.veripack.node;

import java.util.Objects;
import org.veripack.core.VerificationReport;

/**
 * Outcome of {@link Node#install}.
 *
 * @param outcome        what happened
 * @param report         the verification report; on REJECTED it lists every finding, including the node's
 *                       own ({@code VERSION_ROLLBACK}, {@code UNSAFE_PATH} from the staging sink)
 * @param slot           the slot now active (ACTIVATED, ALREADY_ACTIVE, REPAIRED), or null
 * @param previousSlot   the slot {@code previous} points at afterwards, or null
 */
public record InstallResult(Outcome outcome, VerificationReport report, String slot, String previousSlot) {
    public InstallResult {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(report, "report");
    }

    /** What {@link Node#install} did. */
    public enum Outcome {
        /** Verified, sealed and activated: {@code current} points at the new slot. */
        ACTIVATED,
        /** Verified; the identical package was already active and its slot re-verified intact: nothing changed. */
        ALREADY_ACTIVE,
        /**
         * Verified; the identical package was active but its slot no longer matched (tampered): the freshly
         * verified bytes were installed into a new slot directory and {@code current} switched to it atomically
         * ({@code previous} unchanged, the tampered slot discarded), audited {@code install.repair}.
         */
        REPAIRED,
        /** Refused: staging removed, {@code current} untouched. */
        REJECTED
    }
}
