package org.veripack.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code veripack verify-installed} (placeholder until its issue lands). */
@Command(name = "verify-installed", description = "not yet implemented")
final class VerifyInstalledCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("veripack verify-installed: not yet implemented");
        return ExitCode.USAGE;
    }
}
