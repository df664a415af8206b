package org.veripack.scas.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.veripack.scas.CommandRecord;
import org.veripack.scas.Target;

/** Drives any installer through {@code /bin/sh -c} command templates ({@link Target.Command}). */
final class CommandDriver implements TargetDriver {
    private final Target.Command cmd;
    private final ProcessRunner runner;
    private final List<Path> programFiles;

    CommandDriver(Target.Command cmd, ProcessRunner runner, List<Path> programFiles) {
        this.cmd = cmd;
        this.runner = runner;
        this.programFiles = List.copyOf(programFiles);
    }

    /** {@code template} with {@code {package}} and {@code {file}} replaced by the shell-quoted path and file name. */
    static String expand(String template, Path pkg) {
        Path abs = pkg.toAbsolutePath().normalize();
        return template.replace("{package}", CommandRecordSupport.quote(abs.toString()))
                .replace("{file}", CommandRecordSupport.quote(abs.getFileName().toString()));
    }

    @Override
    public String productIdentity() {
        return "install: " + cmd.installTemplate()
                + (cmd.statusTemplate() != null ? " | status: " + cmd.statusTemplate() : "")
                + (cmd.runTemplate() != null ? " | run: " + cmd.runTemplate() : "");
    }

    @Override
    public CommandRecord install(String purpose, Path pkg, boolean trustTestCa, String asUserTemplate) {
        String line = expand(cmd.installTemplate(), pkg);
        if (asUserTemplate != null) {
            return runner.run(purpose, TargetDriver.wrapAsUser(asUserTemplate, line));
        }
        return runner.run(purpose, List.of("/bin/sh", "-c", line));
    }

    @Override
    public boolean installSucceeded(CommandRecord r) {
        if (cmd.successRegex() != null) {
            return !r.timedOut() && (cmd.successRegex().matcher(r.stdoutExcerpt()).find()
                    || cmd.successRegex().matcher(r.stderrExcerpt()).find());
        }
        return r.exitCode() == 0;
    }

    @Override
    public Integer rejectionExitCode() {
        return null;
    }

    @Override
    public ActiveState active(String purpose) {
        if (cmd.statusTemplate() == null) {
            return new ActiveState(null, null);
        }
        CommandRecord r = runner.run(purpose, List.of("/bin/sh", "-c", cmd.statusTemplate()));
        return new ActiveState(r, r.exitCode() == 0 ? r.stdoutExcerpt().strip() : "(status command exit " + r.exitCode() + ")");
    }

    @Override
    public Optional<CommandRecord> runCheck(String purpose) {
        if (cmd.runTemplate() == null) {
            return Optional.empty();
        }
        return Optional.of(runner.run(purpose, List.of("/bin/sh", "-c", cmd.runTemplate())));
    }

    @Override
    public long auditPosition() {
        return -1;
    }

    @Override
    public List<String> auditLinesSince(long position) {
        return List.of();
    }

    @Override
    public List<Path> programFiles() {
        return programFiles;
    }
}
