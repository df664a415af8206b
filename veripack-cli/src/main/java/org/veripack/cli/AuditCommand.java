package org.veripack.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code veripack audit verify --root NODE}: the node's hash-chained audit log. */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "Audit log commands.", subcommands = AuditVerifyCommand.class)
final class AuditCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "a subcommand is required (verify)");
    }
}
