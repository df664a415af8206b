package org.veripack.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code veripack verify} (placeholder until its issue lands). */
@Command(name = "verify", description = "not yet implemented")
final class VerifyCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("veripack verify: not yet implemented");
        return ExitCode.USAGE;
    }
}
