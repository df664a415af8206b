package org.veripack.scas.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.veripack.scas.CommandRecord;

/** How the harness talks to one kind of target: only through processes and files the target exposes. */
public interface TargetDriver {
    /** The active version as the target reports it, with the command that asked. */
    record ActiveState(CommandRecord record, String active) {
        /** Whether the target reported an active version at all. */
        public boolean known() { return active != null; }
    }

    /** What identifies the product under test in the report (its command line or templates). */
    String productIdentity();

    /**
     * Installs {@code pkg}.
     *
     * @param trustTestCa     also trust the harness test CA (node target only; template targets trust what they trust)
     * @param asUserTemplate  wrapper running the command as another user, or null
     */
    CommandRecord install(String purpose, Path pkg, boolean trustTestCa, String asUserTemplate);

    /** Whether an install command's result means "installed" under the configured success semantics. */
    boolean installSucceeded(CommandRecord r);

    /** Whether a refused install must have this target's documented rejection exit code; null when none is documented. */
    Integer rejectionExitCode();

    ActiveState active(String purpose);

    /** Runs the product's run check, when one is configured. */
    Optional<CommandRecord> runCheck(String purpose);

    /** Audit-log position (bytes) to read new lines from later; -1 when the target has no known audit log. */
    long auditPosition();

    /** Audit-log lines appended since {@code position} (bounded). */
    List<String> auditLinesSince(long position);

    /** Files of the checking program and its state whose access control step 3 inspects (besides trust files). */
    List<Path> programFiles();

    /** Quotes the whole {@code argv} into {@code template}'s {@code {command}} placeholder (or appends it). */
    static List<String> wrapAsUser(String template, String commandLine) {
        String quoted = CommandRecordSupport.quote(commandLine);
        String line = template.contains("{command}") ? template.replace("{command}", quoted)
                : template + " /bin/sh -c " + quoted;
        return List.of("/bin/sh", "-c", line);
    }
}
