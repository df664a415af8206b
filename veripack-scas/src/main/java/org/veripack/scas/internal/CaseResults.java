package org.veripack.scas.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.veripack.core.FindingCode;
import org.veripack.scas.CaseResult;
import org.veripack.scas.CaseVerdict;
import org.veripack.scas.CommandRecord;

/** The building blocks every SCAS case shares: evidence, steps, PASS/FAIL/NOT_RUN results and state comparisons. */
final class CaseResults {
    private CaseResults() { }

    /** Insertion-ordered evidence map. */
    static final class Evidence {
        final Map<String, String> map = new LinkedHashMap<>();

        void put(String k, String v) {
            map.put(k, v == null ? "" : v);
        }
    }

    static CaseResult result(String id, String title, String purpose, List<String> pre, List<CommandRecord> steps,
                             String expected, String actual, Evidence ev, boolean pass) {
        return new CaseResult(id, title, purpose, pre, steps, expected, actual, ev.map,
                pass ? CaseVerdict.PASS : CaseVerdict.FAIL, null);
    }

    static CaseResult notRun(String id, String title, String purpose, String expected, String reason) {
        return notRun(id, title, purpose, List.of(), expected, reason);
    }

    static CaseResult notRun(String id, String title, String purpose, List<String> pre, String expected, String reason) {
        return new CaseResult(id, title, purpose, pre, List.of(), expected, "not run", Map.of(),
                CaseVerdict.NOT_RUN, reason);
    }

    static List<CommandRecord> steps(CommandRecord... rs) {
        List<CommandRecord> l = new ArrayList<>();
        for (CommandRecord r : rs) {
            add(l, r);
        }
        return l;
    }

    static void add(List<CommandRecord> l, CommandRecord r) {
        if (r != null) {
            l.add(r);
        }
    }

    /** Whether the active version is the same after as before (true, with a note, when the target reports none). */
    static boolean unchanged(TargetDriver.ActiveState before, TargetDriver.ActiveState after, Evidence ev) {
        if (before.record() == null) {
            ev.put("active-version comparison", "not possible: no --status-cmd configured");
            return true;
        }
        return Objects.equals(before.active(), after.active());
    }

    /** Adds the target's audit-log lines since {@code pos} to the evidence (nothing when it has no known log). */
    static void audit(TargetDriver driver, Evidence ev, long pos) {
        if (pos >= 0) {
            List<String> lines = driver.auditLinesSince(pos);
            ev.put("new audit-log lines", lines.isEmpty() ? "(none)" : String.join("\n", lines));
        }
    }

    /**
     * The finding codes of an install as evidence, comma-separated: those the target reports by its documented
     * contract ({@link TargetDriver#findingCodes}), else the Veripack finding-code names its output mentions (a
     * command target's output is its own: evidence only, never a verdict).
     */
    static String codesText(TargetDriver driver, CommandRecord r) {
        return String.join(", ", driver.findingCodes(r).orElseGet(() -> mentionedCodes(r)));
    }

    private static List<String> mentionedCodes(CommandRecord r) {
        String out = CommandRecordSupport.output(r);
        List<String> found = new ArrayList<>();
        for (FindingCode c : FindingCode.values()) {
            if (out.matches("(?s).*\\b" + c.name() + "\\b.*")) {
                found.add(c.name());
            }
        }
        return found;
    }
}
