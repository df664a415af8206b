package org.veripack.node;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts a program the guard allowed, as close to {@code exec} as a JVM gets (a JVM cannot replace its
 * own process image): the child gets the slot as working directory, the guard's environment plus the
 * {@code --env} pairs, and the guard's stdin/stdout/stderr ({@link ProcessBuilder#inheritIO()}); the
 * guard waits and returns the child's exit status (128 + signal number when a signal ended it).
 *
 * <p>Signals: a shutdown hook forwards termination: when the guard gets SIGTERM, SIGINT or SIGHUP it
 * sends SIGTERM to the child and waits up to {@link #FORWARD_GRACE_SECONDS} s for it (then SIGKILL).
 * A terminal's Ctrl-C reaches both directly (same process group). SIGKILL of the guard cannot be
 * forwarded: the child then keeps running, re-parented to init (run the guard under a supervisor that
 * kills the cgroup, such as systemd, when that matters).
 */
public final class ProgramLauncher {
    /** How long the guard waits for the child after forwarding termination, in seconds. */
    public static final long FORWARD_GRACE_SECONDS = 10;

    private ProgramLauncher() { }

    /**
     * @param decision an allowed {@link GuardDecision}
     * @param args     program arguments (after the executable)
     * @param env      extra environment variables
     * @return the child's exit status
     * @throws IllegalArgumentException when {@code decision} is not allowed
     * @throws IOException              when the program cannot be started
     */
    public static int run(GuardDecision decision, List<String> args, Map<String, String> env) throws IOException {
        if (!decision.allowed()) {
            throw new IllegalArgumentException("the guard refused this program");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(decision.executable().toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(decision.slotDir().toFile()).inheritIO();
        pb.environment().putAll(env);
        Process child = pb.start();
        Thread forward = new Thread(() -> {
            if (child.isAlive()) {
                child.destroy();
                try {
                    if (!child.waitFor(FORWARD_GRACE_SECONDS, TimeUnit.SECONDS)) {
                        child.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "veripack-guard-forward-termination");
        Runtime.getRuntime().addShutdownHook(forward);
        try {
            return child.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            child.destroy();
            return 128 + 15;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(forward);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it forwards termination
            }
        }
    }
}
