package org.veripack.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.veripack.core.PackageVerifier;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the {@code veripack} command. Every subcommand returns an exit code from
 * {@link ExitCode}; bad input never reaches the user as a stack trace.
 */
@Command(name = "veripack", mixinStandardHelpOptions = true, version = "veripack 0.1.0",
        description = "Sign, verify, install and guard network-function software packages (ETSI SOL004 CSAR, CMS, OpenPGP).",
        // subcommands are registered in execute(): only the one named on the command line (start-up)
        subcommands = {})
public final class Main implements Runnable {
    /** Every subcommand, in help order. */
    /** The registered subcommands, by name, in usage order (package-private: tests run {@code X --help} for each). */
    static final Map<String, Class<?>> SUBCOMMANDS = java.util.Collections.unmodifiableMap(subcommands());

    private static Map<String, Class<?>> subcommands() {
        Map<String, Class<?>> m = new LinkedHashMap<>();
        m.put("sign", SignCommand.class);
        m.put("countersign", CountersignCommand.class);
        m.put("verify", VerifyCommand.class);
        m.put("install", InstallCommand.class);
        m.put("rollback", RollbackCommand.class);
        m.put("status", StatusCommand.class);
        m.put("run", RunCommand.class);
        m.put("verify-installed", VerifyInstalledCommand.class);
        m.put("audit", AuditCommand.class);
        m.put("trust", TrustCommand.class);
        m.put("scas", ScasCommand.class);
        m.put("repo", RepoCommand.class);
        m.put("update", UpdateCommand.class);
        m.put("agent", AgentCommand.class);
        return m;
    }

    /** Commands that verify a signature: the CLI starts loading the crypto provider while it parses. */
    private static final Set<String> WARM_UP_COMMANDS = Set.of("verify", "install", "run", "verify-installed");

    /**
     * System property that turns the warm-up thread off when {@code "false"}: the launcher sets it for inputs
     * of 16 MiB and more, where the thread only adds CPU beside a long hash (bench/README.md).
     */
    static final String WARM_UP_PROPERTY = "veripack.warmUp";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
    }

    /** Runs the CLI and returns its exit code (used by tests that call the CLI in-process). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        // picocli builds a model of every registered command by reflection (most of the CLI's start-up
        // time): when the first argument names a subcommand only that one is registered; otherwise (help,
        // a typo) all of them, so usage messages and "unknown subcommand" errors are unchanged.
        boolean named = args.length > 0 && SUBCOMMANDS.containsKey(args[0]);
        SUBCOMMANDS.forEach((name, type) -> {
            if (!named || name.equals(args[0])) {
                cl.addSubcommand(name, type);
            }
        });
        if (cl.getSubcommands().containsKey("run")) {
            // run: everything after the program path belongs to the program (its own options included)
            cl.getSubcommands().get("run").setStopAtPositional(true);
        }
        Handlers handlers = new Handlers();
        cl.setExitCodeExceptionMapper(handlers);
        cl.setParameterExceptionHandler(handlers);
        cl.setExecutionExceptionHandler(handlers);
        if (args.length > 0 && !named && !args[0].startsWith("-")) {
            // an unknown command is a usage error even with --help after it (picocli would print the
            // top-level help and exit 0): exit 2, naming the closest commands
            return handlers.handleParseException(new CommandLine.UnmatchedArgumentException(cl, List.of(args[0])), args);
        }
        try {
            return cl.execute(args);
        } catch (RuntimeException | Error e) {
            // picocli hands only Exceptions to the execution handler; an Error (OutOfMemoryError,
            // StackOverflowError, ...) thrown by a command comes out here
            return internalError(cl.getErr(), e);
        }
    }

    /** The environment variable that adds the stack trace to an internal error's one line (docs/reference.md "Exit codes"). */
    static final String DEBUG_VARIABLE = "VERIPACK_DEBUG";

    /**
     * The one way an unexpected failure (a bug, or the JVM out of memory) reaches the user, from any
     * command or thread: one line on {@code err} and {@link ExitCode#IO}; with {@code VERIPACK_DEBUG=1} in
     * the environment the stack trace follows the line.
     *
     * @return {@link ExitCode#IO}
     */
    static int internalError(java.io.PrintWriter err, Throwable t) {
        boolean debug = "1".equals(System.getenv(DEBUG_VARIABLE));
        String what = t instanceof OutOfMemoryError ? "out of memory (" + t.getMessage()
                + "; VERIPACK_JAVA_OPTS=-Xmx... gives the JVM more)" : t.toString();
        err.println("veripack: internal error: " + what.replace('\n', ' ')
                + (debug ? "" : " (" + DEBUG_VARIABLE + "=1 prints the stack trace)"));
        if (debug) {
            t.printStackTrace(err);
        }
        err.flush();
        return ExitCode.IO;
    }

    /**
     * Exit codes for picocli's error paths: a usage error is 2 with a hint, an exception escaping a
     * command is mapped by {@link CommandFailures} (node and I/O failures to their exit codes, anything else 3
     * with a one-line message, {@link #internalError}), never a stack trace. A named class, not lambdas: picocli's
     * interfaces are Java 5 class files, so lambdas implementing them are spun at run time instead of
     * coming from the class-data archive (start-up: bench/README.md).
     */
    private static final class Handlers implements CommandLine.IExitCodeExceptionMapper,
            CommandLine.IParameterExceptionHandler, CommandLine.IExecutionExceptionHandler {
        @Override
        public int getExitCode(Throwable t) {
            return ExitCode.USAGE;
        }

        @Override
        public int handleParseException(CommandLine.ParameterException ex, String[] args) {
            CommandLine failed = ex.getCommandLine();
            java.io.PrintWriter err = failed.getErr();
            if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()
                    && !u.getUnmatched().get(0).startsWith("-") && !failed.getSubcommands().isEmpty()) {
                err.println("veripack: unknown command '" + u.getUnmatched().get(0) + "'");
            } else {
                err.println("veripack: " + ex.getMessage());
            }
            if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
                err.println("Did you mean: " + String.join(" or ", u.getSuggestions().stream()
                        .map(c -> c.startsWith("-") ? c : failed.getCommandSpec().qualifiedName() + " " + c).toList()) + "?");
            }
            err.println("Try '" + failed.getCommandSpec().qualifiedName() + " --help'.");
            return ExitCode.USAGE;
        }

        @Override
        public int handleExecutionException(Exception ex, CommandLine c, CommandLine.ParseResult parsed) {
            return CommandFailures.report(c, ex);
        }
    }

    private static final Thread.UncaughtExceptionHandler UNCAUGHT = new Uncaught();

    /** A named class, not a lambda (start-up: see {@link Handlers}). */
    private static final class Uncaught implements Thread.UncaughtExceptionHandler {
        @Override
        public void uncaughtException(Thread t, Throwable e) {
            internalError(new java.io.PrintWriter(System.err, true), e);
        }
    }

    public static void main(String[] args) {
        // picocli's default factory looks up groovy.lang.Closure once; a class that is on no jar makes the
        // class loader open every jar of the class path (about 50 ms of start-up). We have no Groovy.
        System.setProperty("picocli.disable.closures", "true");
        // a failure on another thread (read-ahead, warm-up, hashing pool) is one line too, never a stack trace
        Thread.setDefaultUncaughtExceptionHandler(UNCAUGHT);
        if (args.length > 0 && WARM_UP_COMMANDS.contains(args[0])
                && !"false".equals(System.getProperty(WARM_UP_PROPERTY))) {
            PackageVerifier.warmUp();
        }
        System.exit(execute(args));
    }
}
