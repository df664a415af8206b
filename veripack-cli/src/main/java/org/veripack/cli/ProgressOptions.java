package org.veripack.cli;

import java.io.PrintWriter;
import org.veripack.core.ProgressListener;
import picocli.CommandLine.Option;

/**
 * {@code --quiet} and {@code --progress=auto|always|never} of the commands with long steps (sign, verify, install,
 * scas): a progress line on stderr ({@link TerminalProgress}), never on stdout, so {@code --json} output is unchanged.
 *
 * <p>auto (default): drawn only when stderr is a terminal, the command did not ask for {@code --json} and has run
 * one second; {@code always}: drawn whatever stderr is, from the start (logs, tests); {@code never}, or
 * {@code --quiet}: not drawn. Whether stderr is a terminal: the {@code veripack} launcher tells the JVM
 * ({@value #TERMINAL_PROPERTY}{@code =true|false}, from {@code [ -t 2 ]}); without it (the jar run directly), whether
 * the JVM has a console.
 */
final class ProgressOptions {
    /** System property the launcher sets to whether stderr is a terminal. */
    static final String TERMINAL_PROPERTY = "veripack.stderrIsTerminal";

    /** When progress is drawn. */
    enum When { auto, always, never }

    @Option(names = "--quiet", description = "Draw no progress line on stderr (the report, messages and errors still print).")
    boolean quiet;

    @Option(names = "--progress", paramLabel = "WHEN", defaultValue = "auto",
            description = "Progress line on stderr for long steps (bytes, %%, rate): auto (default: when stderr is a terminal, "
                    + "without --json, after 1 s), always (also when stderr is not a terminal, from the start), never.")
    When when = When.auto;

    /**
     * The listener for one command run: a {@link TerminalProgress} drawing on {@code err}, or
     * {@link ProgressListener#NONE}.
     *
     * @param command the command's name, for the line's prefix
     * @param json    the command prints JSON on stdout ({@code --json}): no progress unless {@code always}
     */
    ProgressListener listener(PrintWriter err, String command, boolean json) {
        if (quiet || when == When.never) {
            return ProgressListener.NONE;
        }
        if (when == When.always) {
            return new TerminalProgress(err, command, 0, TerminalProgress.DEFAULT_INTERVAL_NANOS, System::nanoTime);
        }
        if (json || !stderrIsTerminal()) {
            return ProgressListener.NONE;
        }
        return new TerminalProgress(err, command, TerminalProgress.DEFAULT_DELAY_NANOS, TerminalProgress.DEFAULT_INTERVAL_NANOS,
                System::nanoTime);
    }

    /** What the launcher said about stderr; without it, whether the JVM has a console (stdin and stdout are terminals). */
    static boolean stderrIsTerminal() {
        String told = System.getProperty(TERMINAL_PROPERTY);
        return told != null ? Boolean.parseBoolean(told) : System.console() != null;
    }
}
