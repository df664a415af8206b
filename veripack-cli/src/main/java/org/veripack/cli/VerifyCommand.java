package org.veripack.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code veripack verify} (placeholder until its issue lands; the apt chain options are live). */
@Command(name = "verify", description = "Verify a package: CSAR/detached CMS (not yet implemented) or a Debian apt chain.")
final class VerifyCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AptOptions apt = new AptOptions();
    @Option(names = "--policy", paramLabel = "POLICY.yaml") Path policy;
    @Option(names = "--at", paramLabel = "INSTANT", description = "verification time, ISO-8601 (default now)") String at;
    @Option(names = "--json", description = "print one JSON report on stdout") boolean json;
    @Parameters(index = "0", arity = "0..1", paramLabel = "PACKAGE") Path packageFile;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        if (apt.requested()) {
            Instant instant;
            try {
                instant = at == null ? null : Instant.parse(at);
            } catch (DateTimeParseException e) {
                err.println("veripack verify: --at is not an ISO-8601 instant: " + at);
                return ExitCode.USAGE;
            }
            return AptVerification.run(apt, policy, instant, json, packageFile, spec.commandLine().getOut(), err);
        }
        err.println("veripack verify: not yet implemented");
        return ExitCode.USAGE;
    }
}
