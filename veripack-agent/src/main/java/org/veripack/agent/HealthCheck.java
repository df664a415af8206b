package org.veripack.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Runs one configured command (the health check, the tamper stop command) with a time bound: stdin empty, stdout and
 * stderr merged and kept up to 2 KiB for the audit detail. On time-out the command and every process it started are
 * killed: its descendants, and also those that left the tree (double fork, {@code setsid}), found by the
 * {@value #ID_VARIABLE} value each inherits in its environment (the way Jenkins' process tree killer finds a build's
 * processes). A process that clears its environment escapes; docs/guide.md "Run the agent" says to use a systemd scope.
 */
final class HealthCheck {
    private static final int KEEP = 2048;
    /** The environment variable marking the processes of one run. */
    static final String ID_VARIABLE = "VERIPACK_COMMAND_ID";

    private HealthCheck() { }

    /**
     * The outcome.
     *
     * @param ok       exit status 0 within the time bound
     * @param exit     exit status, or -1 when it timed out or could not start
     * @param timedOut the bound passed
     * @param output   the first 2 KiB of its output, or why it could not start
     */
    record Outcome(boolean ok, int exit, boolean timedOut, String output) {
        /** For the audit detail: {@code exit 1: ...}, {@code timed out after PT5S}. */
        String describe(Duration timeout) {
            String head = timedOut ? "timed out after " + timeout.toSeconds() + "s" : exit < 0 ? "could not start" : "exit " + exit;
            String out = output.strip();
            return out.isEmpty() ? head : head + ": " + out.replaceAll("\\s+", " ");
        }
    }

    static Outcome run(List<String> argv, Duration timeout, Map<String, String> env) throws InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(env);
        String id = UUID.randomUUID().toString();
        pb.environment().put(ID_VARIABLE, id);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new Outcome(false, -1, false, String.valueOf(e.getMessage()));
        }
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            byte[] buf = new byte[4096];
            try (InputStream in = p.getInputStream()) {
                for (int r; (r = in.read(buf)) > 0; ) {
                    synchronized (kept) {
                        kept.write(buf, 0, Math.max(0, Math.min(r, KEEP - kept.size())));
                    }
                }
            } catch (IOException e) {
                // the process ended or was killed
            }
        }, "veripack-agent-command-output");
        reader.setDaemon(true);
        reader.start();
        boolean done;
        try {
            done = p.waitFor(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            kill(p, id);
            throw e;
        }
        if (!done) {
            kill(p, id);
        }
        reader.join(1000);
        String out;
        synchronized (kept) {
            out = kept.toString(StandardCharsets.UTF_8);
        }
        return done ? new Outcome(p.exitValue() == 0, p.exitValue(), false, out) : new Outcome(false, -1, true, out);
    }

    private static void kill(Process p, String id) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        String mark = "\0" + ID_VARIABLE + "=" + id + "\0";
        long self = ProcessHandle.current().pid();
        ProcessHandle.allProcesses().filter(h -> h.pid() != self && carries(h.pid(), mark)).forEach(ProcessHandle::destroyForcibly);
    }

    /** Whether process {@code pid}'s initial environment ({@code /proc/PID/environ}, NUL-terminated entries) holds {@code mark}. */
    private static boolean carries(long pid, String mark) {
        try {
            return ("\0" + new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ")), StandardCharsets.ISO_8859_1))
                    .contains(mark);
        } catch (IOException | SecurityException e) {
            return false; // gone, or not readable by the agent
        }
    }
}
