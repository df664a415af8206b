package org.veripack.scas;

import java.util.List;
import java.util.Objects;

/**
 * One command the harness executed against the product under test, exactly as run.
 *
 * @param purpose        what the step does ({@code install variant}, {@code status after}...)
 * @param argv           the process arguments as executed (for template targets {@code /bin/sh -c TEMPLATE})
 * @param exitCode       process exit code; {@code -1} when it timed out or could not be started
 * @param timedOut       true when the harness killed it after the configured timeout
 * @param stdoutExcerpt  the first bytes of stdout (bounded, UTF-8 with replacement), never null
 * @param stderrExcerpt  the first bytes of stderr (bounded), never null
 * @param truncatedBytes output bytes discarded beyond the excerpt bounds (both streams)
 * @param durationMillis wall-clock duration in milliseconds
 */
public record CommandRecord(String purpose, List<String> argv, int exitCode, boolean timedOut,
                            String stdoutExcerpt, String stderrExcerpt, long truncatedBytes, long durationMillis) {
    public CommandRecord {
        Objects.requireNonNull(purpose, "purpose");
        argv = List.copyOf(argv);
        Objects.requireNonNull(stdoutExcerpt, "stdoutExcerpt");
        Objects.requireNonNull(stderrExcerpt, "stderrExcerpt");
    }

    /** The command as one POSIX shell line (each argument single-quoted when needed), for the report. */
    public String commandLine() {
        StringBuilder sb = new StringBuilder();
        for (String a : argv) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(shellQuote(a));
        }
        return sb.toString();
    }

    /** Quotes {@code s} as one POSIX shell word. */
    public static String shellQuote(String s) {
        if (!s.isEmpty() && s.matches("[A-Za-z0-9_@%+=:,./-]+")) {
            return s;
        }
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
