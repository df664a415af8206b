package org.veripack.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code veripack status} (placeholder until its issue lands). */
@Command(name = "status", description = "not yet implemented")
final class StatusCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("veripack status: not yet implemented");
        return ExitCode.USAGE;
    }
}
