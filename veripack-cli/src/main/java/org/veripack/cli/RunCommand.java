package org.veripack.cli;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
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
 * every entry of the active slot against its sealed record, then starts the program with the slot as
 * working directory, stdio inherited, the exit status passed through and termination signals forwarded
 * (see {@link ProgramLauncher}). Any mismatch: {@code INSTALLATION_TAMPERED} on stderr, audit event,
 * exit 126, the program is not started.
 */
@Command(name = "run", description = "Re-verify the active slot, then run a program from it (exit 126 if tampered).")
final class RunCommand implements Callable<Integer> {
    @Mixin
    NodeRootOption root;

    @Option(names = "--env", paramLabel = "K=V", description = "environment variable for the program (repeatable)")
    List<String> env = List.of();

    @Parameters(arity = "1..*", paramLabel = "RELATIVE_EXECUTABLE [ARGS...]", description = "program path inside the slot, then its arguments")
    List<String> command;

    @Override
    public Integer call() {
        Map<String, String> extra = new LinkedHashMap<>();
        for (String kv : env) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                System.err.println("veripack run: --env needs K=V: " + kv);
                return ExitCode.USAGE;
            }
            extra.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        GuardDecision d;
        try {
            d = Node.openExisting(root.root, Clock.systemUTC()).guard(command.get(0));
        } catch (NoSuchFileException e) {
            System.err.println("veripack run: " + e.getMessage());
            return ExitCode.USAGE;
        } catch (IOException e) {
            System.err.println("veripack run: I/O error, program not started: " + e);
            return ExitCode.IO;
        }
        if (!d.allowed()) {
            System.err.println("veripack run: REFUSED " + command.get(0) + " (slot " + d.slot() + "): not started");
            NodeOutput.printFindings(System.err, d.findings());
            return ExitCode.TAMPERED;
        }
        try {
            return ProgramLauncher.run(d, command.subList(1, command.size()), extra);
        } catch (IOException e) {
            System.err.println("veripack run: cannot start " + command.get(0) + ": " + e.getMessage());
            return ExitCode.TAMPERED;
        }
    }
}
