package org.veripack.node;

import java.nio.file.Path;
import java.util.List;
import org.veripack.core.Finding;

/**
 * The guard's verdict on starting a program from the active slot.
 *
 * @param allowed    true only when the whole slot matched its sealed record and the executable is a sealed
 *                   executable file inside the slot
 * @param slot       the active slot that was checked, or null when there is none
 * @param slotDir    its directory (the program's working directory), or null
 * @param executable absolute path of the program inside the slot (symlinks resolved), or null when refused
 * @param findings   every {@code INSTALLATION_TAMPERED} (or {@code UNSAFE_PATH}) finding when refused
 */
public record GuardDecision(boolean allowed, String slot, Path slotDir, Path executable, List<Finding> findings) {
    public GuardDecision {
        findings = List.copyOf(findings);
    }
}
