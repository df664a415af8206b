package org.veripack.cli;

import java.io.IOException;
import java.time.Clock;
import java.util.concurrent.Callable;
import org.veripack.node.Node;
import org.veripack.node.RollbackResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code veripack rollback --root NODE}: go back one activation, to the version that was active before the active one
 * (never forward): re-verify that slot against its sealed record, require the node's current trust store to accept its
 * signature, then activate it (audited; the version floor stays; afterwards there is no rollback target until the next
 * install). Exit 0 done, 1 refused, nothing changed (target tampered {@code INSTALLATION_TAMPERED}, another product
 * {@code PACKAGE_MISMATCH}, signer retired {@code SIGNER_NO_LONGER_TRUSTED}), 6 no version to roll back to (audited
 * {@code rollback.refused}, nothing changed), 2 not a node root, no or an unprotected trust store or {@code config.yaml},
 * {@code --trust/--policy} given, 3 I/O or node busy, 4 caller not in {@code authorizedInstallers} (audited).
 */
@Command(name = "rollback", mixinStandardHelpOptions = true,
        description = {"Go back one activation: re-verify the version that was active before the active one and activate it.",
                "Never rolls forward: afterwards there is no rollback target until the next install (exit 6 when there is none).",
                "The version floor is not lowered."})
final class RollbackCommand implements Callable<Integer> {
    @Mixin
    NodeOptions node;

    @Override
    public Integer call() throws IOException {
        Integer refused = node.refuseOrAuthorize("rollback", System.err);
        if (refused != null) {
            return refused;
        }
        // failures (busy, unsafe root, trust store, I/O): CommandFailures
        Node opened = Node.openExisting(node.root, Clock.systemUTC());
        RollbackResult r = opened.rollback();
        switch (r.outcome()) {
            case NO_TARGET -> {
                System.err.println("veripack rollback: " + r.reason() + "; nothing changed");
                return ExitCode.NO_VERSION;
            }
            case REFUSED -> {
                org.veripack.core.FindingCode code = r.findings().get(0).code();
                System.err.println("REJECTED rollback: the previous version "
                        + (code == org.veripack.core.FindingCode.PACKAGE_MISMATCH ? "holds another product than this node runs"
                        : code == org.veripack.core.FindingCode.SIGNER_NO_LONGER_TRUSTED ? "is signed by a signer the node's trust store no longer accepts"
                        : "does not match its sealed record") + "; nothing changed");
                NodeOutput.printFindings(System.err, r.findings());
                return ExitCode.REJECTED;
            }
            default -> {
                System.err.println("rolled back: " + NodeOutput.describe(opened.status().active()));
                return ExitCode.OK;
            }
        }
    }
}
