package org.veripack.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code veripack install} (placeholder until its issue lands). */
@Command(name = "install", description = "not yet implemented")
final class InstallCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("veripack install: not yet implemented");
        return ExitCode.USAGE;
    }
}
