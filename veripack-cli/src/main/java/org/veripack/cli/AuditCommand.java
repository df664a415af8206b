package org.veripack.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code veripack audit} (placeholder until its issue lands). */
@Command(name = "audit", description = "not yet implemented")
final class AuditCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("veripack audit: not yet implemented");
        return ExitCode.USAGE;
    }
}
