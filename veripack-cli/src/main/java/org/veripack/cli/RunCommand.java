package org.veripack.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code veripack run} (placeholder until its issue lands). */
@Command(name = "run", description = "not yet implemented")
final class RunCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("veripack run: not yet implemented");
        return ExitCode.USAGE;
    }
}
