package org.veripack.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code veripack sign} (placeholder until its issue lands). */
@Command(name = "sign", description = "not yet implemented")
final class SignCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("veripack sign: not yet implemented");
        return ExitCode.USAGE;
    }
}
