package org.veripack.node;

import java.util.List;
import java.util.Objects;
import org.veripack.core.Finding;

/**
 * Outcome of {@link Node#rollback}. Rollback goes back one activation: to the version that was active before the
 * active one ({@code NODE/previous}), never forward ({@code docs/node.md} "Rollback").
 *
 * @param outcome  what happened
 * @param findings the findings that refused the target ({@link Outcome#REFUSED}), else empty
 * @param active   the slot active afterwards (the rollback target when {@link Outcome#ROLLED_BACK}), or null when
 *                 nothing is installed
 * @param reason   one line for the operator when not {@link Outcome#ROLLED_BACK} (also in the audit event), else null
 */
public record RollbackResult(Outcome outcome, List<Finding> findings, String active, String reason) {
    public RollbackResult {
        Objects.requireNonNull(outcome, "outcome");
        findings = List.copyOf(findings);
    }

    /** What {@link Node#rollback} did; each maps to its own CLI exit code. */
    public enum Outcome {
        /** The previous slot re-verified and is now {@code current}; there is no rollback target until the next install. */
        ROLLED_BACK,
        /**
         * There is no version to roll back to: nothing installed, only one version ever activated, or the active version
         * was itself reached by a rollback (the version rolled back from is no target). Nothing changed; audited
         * {@code rollback.refused}; CLI exit 6.
         */
        NO_TARGET,
        /**
         * The target was refused: {@code INSTALLATION_TAMPERED}, {@code PACKAGE_MISMATCH} or
         * {@code SIGNER_NO_LONGER_TRUSTED}. Nothing changed; audited {@code rollback.refused}; CLI exit 1.
         */
        REFUSED
    }

    /** Whether the node now runs the rollback target. */
    public boolean rolledBack() {
        return outcome == Outcome.ROLLED_BACK;
    }
}
