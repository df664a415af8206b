package org.veripack.cli;

import java.io.IOException;
import java.time.Clock;
import java.util.concurrent.Callable;
import org.veripack.node.AuditLog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code veripack audit verify --root NODE [--json]}: checks the {@code prev_sha256} chain of
 * {@code NODE/audit/events.jsonl} from the first line and names the first broken line, then compares the log
 * with its head {@code NODE/state/audit-head.json} (truncation, emptying or deletion of the log). Exit 0
 * intact, 1 broken or truncated, 2 not a node root or an unsafe node root, 3 I/O. Read-only: it neither
 * recovers nor appends. {@code --json}: {@code {"log","intact","lines","firstBrokenLine"(null when intact),"reason"}}
 * on stdout.
 */
@Command(name = "verify", mixinStandardHelpOptions = true, description = "Check the audit log's hash chain; name the first broken line.")
final class AuditVerifyCommand implements Callable<Integer> {
    @Mixin
    NodeRootOption root;

    @picocli.CommandLine.Option(names = "--json", description = "one JSON document on stdout")
    boolean json;

    @Override
    public Integer call() {
        AuditLog log = AuditLog.forNode(root.root, Clock.systemUTC());
        if (!java.nio.file.Files.isDirectory(log.file().getParent())) {
            System.err.println("veripack audit verify: not a node root (no audit/): " + root.root);
            return ExitCode.USAGE;
        }
        try {
            org.veripack.node.Node.checkRoot(root.root);
        } catch (org.veripack.node.UnsafeNodeRootException e) {
            System.err.println("veripack audit verify: refusing an unsafe node root: " + e.getMessage());
            return ExitCode.USAGE;
        } catch (IOException e) {
            System.err.println("veripack audit verify: " + e.getMessage());
            return ExitCode.USAGE;
        }
        try {
            AuditLog.Verification v = log.verify();
            if (json) {
                com.fasterxml.jackson.databind.node.ObjectNode o = NodeOutput.JSON.createObjectNode();
                o.put("log", log.file().toAbsolutePath().toString());
                o.put("intact", v.intact());
                o.put("lines", v.lines());
                o.put("firstBrokenLine", v.firstBrokenLine().orElse(null));
                o.put("reason", v.reason());
                System.out.println(o.toPrettyString());
            }
            if (v.intact()) {
                System.err.println("audit chain intact: " + v.lines() + " events in " + log.file());
                return ExitCode.OK;
            }
            System.err.println("audit chain BROKEN at line " + v.firstBrokenLine().get() + " of " + log.file() + ": " + v.reason());
            return ExitCode.REJECTED;
        } catch (IOException e) {
            System.err.println("veripack audit verify: I/O error: " + e);
            return ExitCode.IO;
        }
    }
}
