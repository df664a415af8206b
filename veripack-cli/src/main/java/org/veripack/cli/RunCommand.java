package org.veripack.cli;

import java.io.IOException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.veripack.node.GuardDecision;
import org.veripack.node.Node;
import org.veripack.node.ProgramLauncher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code veripack run --root NODE [--env K=V ...] -- RELATIVE_EXECUTABLE [ARGS...]}: the guard. Re-verifies
 * the sealed signature and every entry of the active slot against its sealed record, then starts the program
 * with the slot as working directory, stdio inherited, the exit status passed through and termination signals
 * forwarded (see {@link ProgramLauncher}). Exit codes when the program is not started: 126 with
 * {@code INSTALLATION_TAMPERED} findings when the slot or its seal does not match; 126 with "no active version
 * installed" when nothing is installed (no finding); 2 when the program path names no file the signed
 * package marks executable in the slot (audited {@code guard.refused}), when an {@code LD_LIBRARY_PATH},
 * {@code LD_PRELOAD} or {@code LD_AUDIT} entry leaves the slot, or when the node root is unsafe.
 */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Re-verify the active slot, then run a program from it (exit 126 if tampered).")
final class RunCommand implements Callable<Integer>, CommandFailures.IoFailureConsequence {
    @Mixin
    NodeOptions node;

    @Option(names = "--env", paramLabel = "K=V", description = "environment variable for the program (repeatable)")
    List<String> env = List.of();

    @Parameters(arity = "1..*", paramLabel = "RELATIVE_EXECUTABLE [ARGS...]", description = "program path inside the slot, then its arguments")
    List<String> command;

    @Override
    public String ioFailureConsequence() {
        return "program not started";
    }

    @Override
    public Integer call() throws IOException {
        Integer refused = node.refuse("run", System.err);
        if (refused != null) {
            return refused;
        }
        Map<String, String> extra = new LinkedHashMap<>();
        for (String kv : env) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                System.err.println("veripack run: --env needs K=V: " + kv);
                return ExitCode.USAGE;
            }
            extra.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        GuardDecision d = Node.openExisting(node.root, Clock.systemUTC()).guard(command.get(0)); // failures: CommandFailures
        switch (d.refusal()) {
            case NONE -> { }
            case NOTHING_INSTALLED -> {
                System.err.println("veripack run: no active version installed in " + node.root + "; " + command.get(0) + " not started");
                return ExitCode.TAMPERED;
            }
            case BAD_PROGRAM -> {
                System.err.println("veripack run: " + command.get(0) + ": " + d.reason() + " (slot " + d.slot() + "); not started");
                return ExitCode.USAGE;
            }
            case TAMPERED -> {
                System.err.println("veripack run: REFUSED " + command.get(0) + " (slot " + d.slot() + "): " + d.reason() + "; not started");
                NodeOutput.printFindings(System.err, d.findings());
                System.err.println(NodeOutput.TAMPER_NEXT_STEP);
                return ExitCode.TAMPERED;
            }
            default -> throw new IllegalStateException("unknown refusal " + d.refusal());
        }
        try {
            ProgramLauncher.childEnvironment(d.slotDir(), extra);
        } catch (IllegalArgumentException e) {
            System.err.println("veripack run: --env " + e.getMessage() + "; not started");
            return ExitCode.USAGE;
        } catch (IOException e) {
            System.err.println("veripack run: I/O error, program not started: " + e);
            return ExitCode.IO;
        }
        try {
            return ProgramLauncher.run(d, command.subList(1, command.size()), extra);
        } catch (IOException e) {
            System.err.println("veripack run: cannot start " + command.get(0) + ": " + e.getMessage());
            return ExitCode.TAMPERED;
        }
    }
}
