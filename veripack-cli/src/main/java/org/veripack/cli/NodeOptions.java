package org.veripack.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.veripack.node.AuditEvent;
import org.veripack.node.NodeTrust;
import picocli.CommandLine.Option;

/**
 * The options of a node command that acts on what the node runs ({@code install}, {@code rollback}, {@code run},
 * {@code verify-installed}, {@code update}, {@code agent}), and its gate: {@code --root NODE} (docs/node.md "Node root
 * layout"), and {@code --trust}/{@code --policy} refused: the node's trust comes only from its trust store
 * ({@link NodeTrust}, TS 33.117 §4.2.3.3.5 "public keys or certificates configured in the network product"), never
 * from whoever runs the command. The two stay parsed (hidden from {@code --help}) so that the refusal names the node's
 * policy file instead of picocli's "unknown option": exit 2, audited {@code trust.option-refused}, nothing else done.
 */
final class NodeOptions {
    @Option(names = "--root", required = true, paramLabel = "NODE", description = "node root directory")
    Path root;

    @Option(names = "--trust", hidden = true, paramLabel = "CA.pem", description = "refused: node commands use the node's trust store")
    List<Path> trust = new ArrayList<>();

    @Option(names = "--policy", hidden = true, paramLabel = "POLICY.yaml", description = "refused: node commands use the node's trust store")
    Path policy;

    /** Null when neither option was given; else the refusal's exit code (2), with the message on {@code err}. */
    Integer refuse(String command, PrintStream err) {
        if (trust.isEmpty() && policy == null) {
            return null;
        }
        String given = (trust.isEmpty() ? "--policy " + policy : "--trust " + trust.stream().map(Path::toString)
                .reduce((a, b) -> a + " --trust " + b).orElse("")) + (policy != null && !trust.isEmpty() ? " --policy " + policy : "");
        Path file = NodeTrust.of(root).policyFile();
        err.println("veripack " + command + ": " + (trust.isEmpty() ? "--policy" : "--trust") + " is refused on a node command: "
                + "the node's trust comes only from its trust store " + file + " ('veripack trust show --root " + root
                + "'; a trust administrator changes it with 'veripack trust set|add-anchor|remove-anchor --root " + root + "')");
        NodeGate.audit(command, root, AuditEvent.Type.TRUST_OPTION_REFUSED, command + " " + given + ": refused, the node's trust is " + file, err);
        return ExitCode.USAGE;
    }

    /**
     * The gate of a command that changes what runs ({@code install}, {@code rollback}): {@link #refuse} these options,
     * then {@link NodeGate#authorize} the caller as an authorised installer and check the node root.
     *
     * @return null to go on, else the exit code (a message is on {@code err})
     */
    Integer refuseOrAuthorize(String command, PrintStream err) {
        Integer refused = refuse(command, err);
        return refused != null ? refused : NodeGate.authorize(command, root, err);
    }

    /**
     * The gate of a command that installs ({@code install}, {@code update}, {@code agent}): {@link #refuseOrAuthorize},
     * then {@code further} (another check, e.g. a trust administrator pinning a repository root; it returns null to go
     * on), then the node's trust store must exist (exit 2 with the message that says how to create it).
     *
     * @return null to go on, else the exit code (a message is on {@code err})
     */
    Integer admitInstall(String command, PrintStream err, Supplier<Integer> further) {
        Integer refused = refuseOrAuthorize(command, err);
        if (refused == null) {
            refused = further.get();
        }
        if (refused == null && !NodeTrust.of(root).exists()) {
            err.println("veripack " + command + ": " + NodeTrust.of(root).missingMessage());
            refused = ExitCode.USAGE;
        }
        return refused;
    }
}
