package org.veripack.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.ArrayList;
import java.util.List;
import org.veripack.core.Finding;
import org.veripack.node.Node;
import org.veripack.node.ScanResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code veripack verify-installed --root NODE [--json]}: re-verify the active slot against its sealed
 * record with the trust sealed at install (audited), then check that the node's current trust store still
 * accepts its signature. Exit 0 intact and trusted, 1 tampered (a {@code next:} line says what repairs it), 2 not a node root, no or
 * an unsafe trust store, {@code --trust/--policy} given, 3 I/O, 5 intact but no longer trusted by the node's
 * current trust store ({@code SIGNER_NO_LONGER_TRUSTED}; the guard still runs it), 6 nothing installed
 * ({@link ExitCode#NO_VERSION}). JSON:
 * {@code {"slot", "intact", "trustedNow", "findings": [{code, subject, detail, expected?, actual?}]}} (tamper
 * findings, then the current-trust finding).
 */
@Command(name = "verify-installed", mixinStandardHelpOptions = true, description = "Re-verify the active slot against its sealed record (exit 1 if tampered).")
final class VerifyInstalledCommand implements Callable<Integer> {
    @Mixin
    NodeOptions node;

    @Option(names = "--json", description = "one JSON document on stdout")
    boolean json;

    @Override
    public Integer call() throws IOException {
        Integer refused = node.refuse("verify-installed", System.err);
        if (refused != null) {
            return refused;
        }
        ScanResult r = Node.openExisting(node.root, Clock.systemUTC()).verifyInstalled(); // failures: CommandFailures
        if (json) {
            ObjectNode o = NodeOutput.JSON.createObjectNode();
            o.put("slot", r.slot());
            o.put("intact", r.intact());
            o.put("trustedNow", r.trustedNow());
            List<Finding> all = new ArrayList<>(r.findings());
            all.addAll(r.currentTrust());
            o.set("findings", org.veripack.core.ReportFormat.findingsJson(all));
            System.out.println(o.toPrettyString());
        }
        if (r.slot() == null && r.findings().isEmpty()) {
            System.err.println("nothing installed on " + node.root + ": nothing to verify (install a package with veripack install)");
            return ExitCode.NO_VERSION;
        }
        if (r.intact() && !r.trustedNow()) {
            System.err.println("NOT TRUSTED NOW slots/" + r.slot() + " matches its sealed record, but the node's current trust store"
                    + " does not accept its signature (the guard still runs it; re-install or roll forward to a trusted version)");
            NodeOutput.printFindings(System.err, r.currentTrust());
            return ExitCode.NOT_TRUSTED_NOW;
        }
        if (r.intact()) {
            System.err.println("OK slots/" + r.slot() + " matches its sealed record and the node's trust store accepts its signature");
            return ExitCode.OK;
        }
        System.err.println("TAMPERED slots/" + r.slot());
        NodeOutput.printFindings(System.err, r.findings());
        System.err.println(NodeOutput.TAMPER_NEXT_STEP);
        return ExitCode.REJECTED;
    }
}
