package org.veripack.node;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.veripack.core.Finding;

/**
 * The guard's verdict on starting a program from the active slot.
 *
 * @param allowed    true only when the sealed signature re-verified, the whole slot matched its sealed record and
 *                   the executable is a sealed executable file inside the slot
 * @param refusal    why it was refused ({@link Refusal#NONE} when allowed)
 * @param slot       the active slot that was checked, or null when there is none
 * @param slotDir    its directory (the program's working directory), or null
 * @param executable absolute path of the program inside the slot (symlinks resolved), or null when refused
 * @param findings   every {@code INSTALLATION_TAMPERED} finding when refused as {@link Refusal#TAMPERED}, else empty
 * @param reason     one line for the operator when refused, else null
 */
public record GuardDecision(boolean allowed, Refusal refusal, String slot, Path slotDir, Path executable, List<Finding> findings,
                            String reason) {
    public GuardDecision {
        Objects.requireNonNull(refusal, "refusal");
        findings = List.copyOf(findings);
    }

    /** Why the guard did not start the program; each maps to its own CLI exit code. */
    public enum Refusal {
        /** Started. */
        NONE,
        /** No version is installed ({@code current} absent): exit 126, no finding (nothing was tampered). */
        NOTHING_INSTALLED,
        /**
         * The program path is not a relative path to a file the signed package marks executable in the active
         * slot (mistyped, missing, not executable, outside the slot): a usage error, exit 2, audited.
         */
        BAD_PROGRAM,
        /** The slot, its sealed record or the sealed signature do not match: {@code INSTALLATION_TAMPERED}, exit 126. */
        TAMPERED
    }
}
