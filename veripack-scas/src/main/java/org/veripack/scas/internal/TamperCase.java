package org.veripack.scas.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * One variant of the genuine package and what the product must do with it.
 *
 * @param id             stable id ({@code TAMPER.artifact-byte-flip})
 * @param title          short title
 * @param purpose        the attack it models and the requirement it checks
 * @param precondition   what the genuine package (and the inputs) must offer for the variant to carry exactly
 *                       this one defect; stated in the report whether or not the case runs
 * @param variant        the tampered package file, or null when the case cannot be built
 * @param notRunReason   why the precondition does not hold; null when {@code variant} is set
 * @param expectedCodes  finding codes ({@code org.veripack.core.FindingCode}) a Veripack verifier reports for it
 * @param signedByTestCa true when the variant is signed under the harness test CA, so the target must trust
 *                       that CA for the case to isolate its defect (the node target adds it to the trust)
 * @param notes          how the variant was built (shown as pre-conditions)
 */
public record TamperCase(String id, String title, String purpose, String precondition, Path variant,
                         String notRunReason, List<String> expectedCodes, boolean signedByTestCa, List<String> notes) {
    public TamperCase {
        Objects.requireNonNull(precondition, "precondition");
        if ((variant == null) == (notRunReason == null)) {
            throw new IllegalArgumentException("exactly one of variant and notRunReason: " + id);
        }
        expectedCodes = List.copyOf(expectedCodes);
        notes = List.copyOf(notes);
    }
}
