package org.veripack.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code veripack rollback} (placeholder until its issue lands). */
@Command(name = "rollback", description = "not yet implemented")
final class RollbackCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("veripack rollback: not yet implemented");
        return ExitCode.USAGE;
    }
}
