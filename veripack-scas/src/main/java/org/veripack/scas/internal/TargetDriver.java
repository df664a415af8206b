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

    /**
     * The finding codes the target reported for an install by its documented machine-readable contract; empty when
     * it has none (a command target), and then the harness requires no code of it.
     */
    default Optional<List<String>> findingCodes(CommandRecord install) {
        return Optional.empty();
    }

    /**
     * What is wrong with the exit code of an install refused to an unauthorised user, by the target's documented
     * exit codes; empty when it is right or the target documents none.
     */
    default Optional<String> unauthorisedExitProblem(int exitCode) {
        return Optional.empty();
    }

    /**
     * Whether the target's own record says the package with SHA-256 {@code packageSha256} is the active one, putting
     * what it read into {@code evidence}; true for a target that keeps no such record (the active-version comparison
     * and the run check decide).
     */
    default boolean recordsActive(ActiveState after, String packageSha256, java.util.function.BiConsumer<String, String> evidence) {
        return true;
    }

    /** The precondition line of a case signed under the harness test CA: how the target comes to trust that CA. */
    default String testCaTrust(HarnessPki pki) {
        return pki.testCaProvided() ? "the target trusts the lab test CA " + HarnessPki.subject(pki.testCa())
                : "the harness test CA is generated for this run and not trusted by the target: a refusal may "
                        + "be for the untrusted signer (pass --test-ca-cert/--test-ca-key of a CA the target trusts)";
    }

    /** What {@link #programFiles()} covers, for the access-control case's preconditions ("" when only given paths). */
    default String programFilesDescription() {
        return "";
    }

    /** The trust policy the target reads, when the harness can read it (a node's trust store). */
    default Optional<Path> trustPolicy() {
        return Optional.empty();
    }

    /** Step 3's key-list case: run against a target whose trust administration the harness knows, else NOT_RUN. */
    default org.veripack.scas.CaseResult keyListAccessControl(KeyListAccessControl c) throws java.io.IOException {
        return c.notRun("only against a Veripack node target: the trust administration commands of a command target are "
                + "not known to the harness (see step3.access-control and --protect for its files)");
    }

    /** Quotes the whole {@code argv} into {@code template}'s {@code {command}} placeholder (or appends it). */
    static List<String> wrapAsUser(String template, String commandLine) {
        String quoted = CommandRecordSupport.quote(commandLine);
        String line = template.contains("{command}") ? template.replace("{command}", quoted)
                : template + " /bin/sh -c " + quoted;
        return List.of("/bin/sh", "-c", line);
    }
}
