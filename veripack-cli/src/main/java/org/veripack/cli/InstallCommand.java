package org.veripack.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import org.veripack.core.ReportFormat;
import org.veripack.core.RevocationSource;
import org.veripack.node.InstallResult;
import org.veripack.node.Node;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code veripack install --root NODE [--json] PACKAGE}: install or upgrade from a SOL004 CSAR under the node's
 * own trust store ({@code NODE/config/policy.yaml}, set by a trust administrator with {@code veripack trust set};
 * {@link NodeOptions}: {@code --trust/--policy} are refused). Exit 0 activated (or already active with its
 * slot intact, or repaired), 1 REJECTED (nothing installed, {@code current} untouched; e.g.
 * {@code SIGNER_UNTRUSTED}, {@code VERSION_ROLLBACK}, {@code PACKAGE_MISMATCH}), 2 usage, {@code --trust/--policy}
 * given, missing package, no trust store (the message says how to set one), an invalid or unprotected trust store
 * or node config ({@link NodeGate}), or a node root that is not a directory, cannot be created, or is
 * foreign-owned or group/world-writable, 3 I/O or node busy, 4 caller not in {@code authorizedInstallers}.
 * Revocation data (policy {@code revocation: prefer|require}) is fetched with CRLs cached in
 * {@code NODE/cache/revocation}.
 */
@Command(name = "install", mixinStandardHelpOptions = true, description = "Verify a CSAR under the node's trust store while extracting it into staging, seal it and activate it atomically.")
final class InstallCommand implements Callable<Integer>, CommandFailures.IoFailureConsequence {
    @Mixin
    NodeOptions node;

    @Option(names = "--json", description = "print the outcome and report as one JSON document on stdout")
    boolean json;

    @Parameters(paramLabel = "PACKAGE", description = "the CSAR (SOL004 option 1 or 2)")
    Path pkg;

    @Mixin
    ProgressOptions progress = new ProgressOptions();

    @Override
    public String ioFailureConsequence() {
        return "nothing activated";
    }

    @Override
    public Integer call() throws IOException {
        Integer refused = node.admitInstall("install", System.err, () -> null);
        if (refused != null) {
            return refused;
        }
        try {
            VerifyCommand.requireFile(pkg, "PACKAGE");
        } catch (VerifyCommand.UsageError e) {
            System.err.println("veripack install: " + e.getMessage());
            return ExitCode.USAGE;
        }
        // failures (trust store, busy, no node root, unsafe root, I/O): CommandFailures
        Node opened = Node.open(node.root, Clock.systemUTC());
        RevocationSource revocation = RevocationSource.http(java.time.Duration.ofSeconds(10), 10L << 20,
                node.root.resolve("cache").resolve("revocation"));
        InstallResult r = opened.install(pkg, revocation, progress.listener(new java.io.PrintWriter(System.err, true), "install", json));
        if (json) {
            ObjectNode o = NodeOutput.JSON.createObjectNode();
            o.put("outcome", r.outcome().name());
            o.put("slot", r.slot());
            o.put("previous", r.previousSlot());
            o.set("report", ReportFormat.toJsonTree(r.report()));
            System.out.println(o.toPrettyString());
        }
        System.err.print(ReportFormat.toText(r.report()));
        switch (r.outcome()) {
            case ACTIVATED -> System.err.println("installed and activated: current -> slots/" + r.slot()
                    + (r.previousSlot() == null ? "" : " (previous -> slots/" + r.previousSlot() + ")"));
            case ALREADY_ACTIVE -> System.err.println("already active (slot re-verified intact): slots/" + r.slot());
            case REPAIRED -> System.err.println("repaired: the active slot was tampered; the freshly verified package now is"
                    + " current -> slots/" + r.slot());
            case REJECTED -> {
                String hint = VerifyCommand.notACsarHint(pkg, "install");
                if (hint != null) {
                    System.err.println(hint);
                }
                System.err.println("not installed; active version unchanged" + (r.slot() == null ? " (none)" : ": slots/" + r.slot()));
            }
            default -> throw new IllegalStateException("unknown outcome " + r.outcome());
        }
        return r.outcome() == InstallResult.Outcome.REJECTED ? ExitCode.REJECTED : ExitCode.OK;
    }
}
