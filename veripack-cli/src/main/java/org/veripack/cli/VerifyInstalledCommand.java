package org.veripack.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.util.concurrent.Callable;
import org.veripack.node.Node;
import org.veripack.node.UnsafeNodeRootException;
import org.veripack.node.ScanResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code veripack verify-installed --root NODE [--json]}: re-verify the active slot against its sealed
 * record (audited). Exit 0 intact, 1 tampered (or nothing installed), 2 not a node root, 3 I/O.
 */
@Command(name = "verify-installed", mixinStandardHelpOptions = true, description = "Re-verify the active slot against its sealed record (exit 1 if tampered).")
final class VerifyInstalledCommand implements Callable<Integer> {
    @Mixin
    NodeRootOption root;

    @Mixin
    NodeTrustOptions trustOptions;

    @Option(names = "--json", description = "one JSON document on stdout")
    boolean json;

    @Override
    public Integer call() {
        Integer refused = trustOptions.refuse("verify-installed", root.root, System.err);
        if (refused != null) {
            return refused;
        }
        ScanResult r;
        try {
            r = Node.openExisting(root.root, Clock.systemUTC()).verifyInstalled();
        } catch (NoSuchFileException e) {
            System.err.println("veripack verify-installed: " + e.getMessage());
            return ExitCode.USAGE;
        } catch (UnsafeNodeRootException e) {
            System.err.println("veripack verify-installed: refusing an unsafe node root: " + e.getMessage());
            return ExitCode.USAGE;
        } catch (IOException e) {
            System.err.println("veripack verify-installed: I/O error: " + e);
            return ExitCode.IO;
        }
        if (json) {
            ObjectNode o = NodeOutput.JSON.createObjectNode();
            o.put("slot", r.slot());
            o.put("intact", r.intact());
            o.set("findings", NodeOutput.findingsJson(r.findings()));
            System.out.println(o.toPrettyString());
        }
        if (r.slot() == null && r.findings().isEmpty()) {
            System.err.println("nothing installed");
            return ExitCode.REJECTED;
        }
        if (r.intact()) {
            System.err.println("OK slots/" + r.slot() + " matches its sealed record");
            return ExitCode.OK;
        }
        System.err.println("TAMPERED slots/" + r.slot());
        NodeOutput.printFindings(System.err, r.findings());
        return ExitCode.REJECTED;
    }
}
