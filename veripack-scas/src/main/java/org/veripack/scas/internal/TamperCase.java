package org.veripack.scas.internal;

import java.nio.file.Path;
import java.util.List;

/**
 * One variant of the genuine package and what the product must do with it.
 *
 * @param id             stable id ({@code TAMPER.artifact-byte-flip})
 * @param title          short title
 * @param purpose        the attack it models and the requirement it checks
 * @param variant        the tampered package file, or null when the case cannot be built
 * @param notRunReason   why the case cannot be built; null when {@code variant} is set
 * @param expectedCodes  finding codes (DESIGN.md) a Veripack verifier reports for it
 * @param signedByTestCa true when the variant is signed under the harness test CA, so the target must trust
 *                       that CA for the case to isolate its defect (the node target adds it to the trust)
 * @param notes          how the variant was built (shown as pre-conditions)
 */
public record TamperCase(String id, String title, String purpose, Path variant, String notRunReason,
                         List<String> expectedCodes, boolean signedByTestCa, List<String> notes) {
    public TamperCase {
        if ((variant == null) == (notRunReason == null)) {
            throw new IllegalArgumentException("exactly one of variant and notRunReason: " + id);
        }
        expectedCodes = List.copyOf(expectedCodes);
        notes = List.copyOf(notes);
    }
}
