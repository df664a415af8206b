package org.veripack.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import org.veripack.node.Node;
import org.veripack.node.NodeStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code veripack status --root NODE [--json]}: active and previous name/version/signer/installed-at,
 * the highest version ever activated, and the last verification result. JSON shape:
 * {@code {"root","active":{slot,name,version,provider,signer,installedAt,packageSha256}|null,"previous":... (the rollback target),
 * "previousInvalid","product","rolledBackFrom":VERSION|null (the active version was reached by a rollback from it),
 * "highestActivated":{name:version},"lastVerification":{time,event,slot,verdict,findings}|null}}.
 */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Show the active and previous version, the version floor and the last verification.")
final class StatusCommand implements Callable<Integer> {
    @Mixin
    NodeRootOption root;

    @Option(names = "--json", description = "one JSON document on stdout")
    boolean json;

    @Override
    public Integer call() throws IOException {
        NodeStatus s = Node.openExisting(root.root, Clock.systemUTC()).status(); // failures: CommandFailures
        if (json) {
            ObjectNode o = NodeOutput.JSON.createObjectNode();
            o.put("root", root.root.toAbsolutePath().toString());
            NodeOutput.putSlot(o, "active", s.active());
            NodeOutput.putSlot(o, "previous", s.previous());
            o.put("previousInvalid", s.previousProblem());
            o.put("rolledBackFrom", s.rolledBackFrom());
            o.put("product", s.product());
            ObjectNode h = o.putObject("highestActivated");
            s.highestActivated().forEach(h::put);
            o.set("lastVerification", s.lastVerification());
            System.out.println(o.toPrettyString());
            return ExitCode.OK;
        }
        System.out.println("node:      " + root.root.toAbsolutePath() + (s.product() == null ? "" : "  (product " + s.product() + ")"));
        System.out.println("active:    " + NodeOutput.describe(s.active()));
        System.out.println("previous:  " + (s.previousProblem() != null ? "INVALID (" + s.previousProblem() + ")"
                : s.previous().isEmpty() && s.rolledBackFrom() != null
                ? "none (the active version was reached by a rollback from " + s.rolledBackFrom() + "; no rollback target until the next install)"
                : NodeOutput.describe(s.previous())));
        if (s.highestActivated().isEmpty()) {
            System.out.println("version floor: none");
        } else {
            String rule = floorRule();
            s.highestActivated().entrySet().stream().sorted(java.util.Map.Entry.comparingByKey()).forEach(e ->
                    System.out.println("version floor: " + e.getKey() + " " + e.getValue() + "  (" + rule + ")"));
        }
        var lv = s.lastVerification();
        if (lv == null) {
            System.out.println("last check: none");
        } else {
            List<String> codes = new java.util.ArrayList<>();
            lv.path("findings").forEach(f -> codes.add(f.asText()));
            System.out.println("last check: " + lv.path("event").asText() + " " + lv.path("verdict").asText()
                    + " at " + lv.path("time").asText()
                    + (lv.path("slot").isTextual() ? "  slot " + lv.path("slot").asText() : "")
                    + (codes.isEmpty() ? "" : "  findings: " + String.join(", ", codes)));
        }
        return ExitCode.OK;
    }

    /**
     * What the floor does under the node's policy ({@code antiRollback}, docs/reference.md): the status is read-only
     * and must not fail for a policy it cannot load, so then it says so instead of guessing.
     */
    private String floorRule() {
        try {
            return org.veripack.node.NodeTrust.of(root.root).load().antiRollback()
                    ? "lower versions are refused: VERSION_ROLLBACK"
                    : "kept, not enforced: the node's policy sets antiRollback: false";
        } catch (IOException | RuntimeException e) {
            return "enforced unless the node's policy sets antiRollback: false; the policy could not be read: " + e.getMessage();
        }
    }
}
