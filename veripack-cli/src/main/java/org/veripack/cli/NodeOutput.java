package org.veripack.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.List;
import java.util.Optional;
import org.veripack.core.Finding;
import org.veripack.core.ReportFormat;
import org.veripack.node.SlotInfo;

/** Shared human/JSON rendering of node results (findings with their stable codes, slot summaries). */
final class NodeOutput {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What an operator does about a tampered active slot (docs/node.md: install repairs, rollback re-verifies). */
    static final String TAMPER_NEXT_STEP = "next: re-install the same package (veripack install --root NODE PACKAGE repairs the slot"
            + " from the verified package), or roll back to the previous version (veripack rollback --root NODE)";

    private NodeOutput() { }

    /** The findings' human lines (ReportFormat's rendering, capped per code) on {@code err}. */
    static void printFindings(PrintStream err, List<Finding> findings) {
        ReportFormat.findingLines(findings).forEach(err::println);
    }

    static void putSlot(ObjectNode parent, String field, Optional<SlotInfo> slot) {
        if (slot.isEmpty()) {
            parent.putNull(field);
            return;
        }
        SlotInfo s = slot.get();
        ObjectNode o = parent.putObject(field);
        o.put("slot", s.slot());
        o.put("name", s.identity() == null ? null : s.identity().name());
        o.put("version", s.identity() == null ? null : s.identity().version());
        o.put("provider", s.identity() == null ? null : s.identity().provider());
        o.put("signer", s.signer());
        o.put("installedAt", s.installedAt() == null ? null : s.installedAt().toString());
        o.put("packageSha256", s.packageSha256());
    }

    static String describe(Optional<SlotInfo> slot) {
        if (slot.isEmpty()) {
            return "none";
        }
        SlotInfo s = slot.get();
        if (s.identity() == null) {
            return s.slot() + " (no sealed record)";
        }
        return s.identity().name() + " " + s.identity().version() + " (slots/" + s.slot() + "; signed by " + s.signer()
                + "; installed " + s.installedAt() + ")";
    }
}
