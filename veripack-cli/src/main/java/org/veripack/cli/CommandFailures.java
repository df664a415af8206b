package org.veripack.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import org.veripack.node.NodeBusyException;
import org.veripack.node.NodeTrustException;
import org.veripack.node.UnsafeNodeRootException;
import picocli.CommandLine;

/**
 * The one mapping from an exception a command lets escape to its exit code and one line on stderr
 * (docs/reference.md "Exit codes"), used by picocli's execution-exception handler ({@code Main}): a node root that is
 * not one, or a node's trust store that cannot be used, is {@link ExitCode#USAGE}; an unsafe node root is
 * {@link ExitCode#USAGE} ("refusing an unsafe node root"); a busy node and any other I/O failure are
 * {@link ExitCode#IO}; anything else is an internal error ({@link Main#internalError}).
 */
final class CommandFailures {
    private CommandFailures() { }

    /** A command whose I/O failure leaves something undone the user must know ("nothing activated"). */
    interface IoFailureConsequence {
        /** What the failure left undone, e.g. {@code nothing activated}. */
        String ioFailureConsequence();
    }

    /**
     * Prints {@code veripack COMMAND: WHAT} for {@code ex} on the command's stderr.
     *
     * @return the exit code
     */
    static int report(CommandLine c, Exception ex) {
        PrintWriter err = c.getErr();
        String prefix = c.getCommandSpec().qualifiedName() + ": ";
        int code;
        String what;
        if (ex instanceof UnsafeNodeRootException) {
            code = ExitCode.USAGE;
            what = "refusing an unsafe node root: " + ex.getMessage();
        } else if (ex instanceof NodeTrustException || ex instanceof NoSuchFileException) {
            code = ExitCode.USAGE;
            what = ex.getMessage();
        } else if (ex instanceof NodeBusyException) {
            code = ExitCode.IO;
            what = "node busy: " + ex.getMessage();
        } else if (ex instanceof IOException io) {
            code = ExitCode.IO;
            what = "I/O error" + (c.getCommand() instanceof IoFailureConsequence f ? " (" + f.ioFailureConsequence() + ")" : "")
                    + ": " + VerifyCommand.describe(io);
        } else {
            return Main.internalError(err, ex);
        }
        err.println(prefix + what);
        err.flush();
        return code;
    }
}
