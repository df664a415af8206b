package org.veripack.scas;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One test case of the SCAS run, with everything a lab hands in as evidence.
 *
 * @param id             stable identifier ({@code TC_SW_PKG_INTEGRITY_1.step2.valid}, {@code TAMPER.artifact-byte-flip})
 * @param title          short title
 * @param purpose        what the case demonstrates and which requirement it covers
 * @param preconditions  state required before the case, as checked or established by the harness
 * @param steps          the exact commands run, in order, with exit codes and output excerpts
 * @param expected       the expected result in words
 * @param actual         the observed result in words
 * @param evidence       further evidence: package SHA-256, status before/after, new audit-log lines,
 *                       expected finding codes, file modes; insertion-ordered
 * @param verdict        PASS, FAIL or NOT_RUN
 * @param notRunReason   why the case did not run; null unless {@code verdict == NOT_RUN}
 */
public record CaseResult(String id, String title, String purpose, List<String> preconditions,
                         List<CommandRecord> steps, String expected, String actual,
                         Map<String, String> evidence, CaseVerdict verdict, String notRunReason) {
    public CaseResult {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(purpose, "purpose");
        preconditions = List.copyOf(preconditions);
        steps = List.copyOf(steps);
        Objects.requireNonNull(expected, "expected");
        Objects.requireNonNull(actual, "actual");
        evidence = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(evidence));
        Objects.requireNonNull(verdict, "verdict");
        if ((verdict == CaseVerdict.NOT_RUN) != (notRunReason != null)) {
            throw new IllegalArgumentException("notRunReason is required exactly for NOT_RUN: " + id);
        }
    }
}
