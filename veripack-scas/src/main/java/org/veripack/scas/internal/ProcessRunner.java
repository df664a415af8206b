package org.veripack.scas.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.veripack.scas.CommandRecord;

/**
 * Runs one command of the product under test: no shell unless the argv asks for one, stdin closed,
 * stdout and stderr captured up to {@link #EXCERPT_BYTES} each (the rest is counted and discarded, so
 * memory stays bounded whatever the product prints), killed with its descendants after the timeout.
 */
public final class ProcessRunner {
    /** Bytes kept per stream for the report. */
    public static final int EXCERPT_BYTES = 16 * 1024;

    private final Duration timeout;
    private final Path workingDirectory;

    public ProcessRunner(Duration timeout, Path workingDirectory) {
        this.timeout = timeout;
        this.workingDirectory = workingDirectory;
    }

    /** Runs {@code argv}; a command that cannot be started is a record with exit code -1 and the reason in stderr. */
    public CommandRecord run(String purpose, List<String> argv) {
        return runKeepingStdout(purpose, argv, EXCERPT_BYTES).record();
    }

    /**
     * A run's record (with the usual {@link #EXCERPT_BYTES} excerpts) and up to {@code stdoutBytes} of its stdout, for
     * a machine-readable document larger than an excerpt (a {@code --json} report listing every artifact).
     */
    public record Output(CommandRecord record, String stdout) { }

    /** As {@link #run}, also keeping the first {@code stdoutBytes} (at least {@link #EXCERPT_BYTES}) of stdout. */
    public Output runKeepingStdout(String purpose, List<String> argv, int stdoutBytes) {
        long start = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
        if (workingDirectory != null) {
            pb.directory(workingDirectory.toFile());
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new Output(new CommandRecord(purpose, argv, -1, false, "", "cannot start: " + e.getMessage(), 0,
                    millisSince(start)), "");
        }
        AtomicLong dropped = new AtomicLong();
        BoundedSink out = new BoundedSink(p.getInputStream(), dropped, Math.max(EXCERPT_BYTES, stdoutBytes));
        BoundedSink err = new BoundedSink(p.getErrorStream(), dropped, EXCERPT_BYTES);
        out.start();
        err.start();
        boolean timedOut = false;
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                timedOut = true;
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            out.join(TimeUnit.SECONDS.toMillis(10));
            err.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            timedOut = true;
        }
        int exit = timedOut || p.isAlive() ? -1 : p.exitValue();
        String stdout = out.text();
        String excerpt = out.size() <= EXCERPT_BYTES ? stdout : out.excerpt();
        // what stdout kept beyond the excerpt is not in the report: counted as dropped there
        long beyond = out.size() - Math.min(out.size(), EXCERPT_BYTES);
        return new Output(new CommandRecord(purpose, argv, exit, timedOut, excerpt, err.text(), dropped.get() + beyond,
                millisSince(start)), stdout);
    }

    private static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    private static java.io.File nullDevice() {
        return new java.io.File("/dev/null");
    }

    /** Drains one stream, keeping the first {@code limit} bytes. */
    private static final class BoundedSink extends Thread {
        private final InputStream in;
        private final AtomicLong dropped;
        private final int limit;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();

        BoundedSink(InputStream in, AtomicLong dropped, int limit) {
            this.in = in;
            this.dropped = dropped;
            this.limit = limit;
            setDaemon(true);
        }

        @Override
        public void run() {
            byte[] buf = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    int keep;
                    synchronized (kept) {
                        keep = Math.max(0, Math.min(n, limit - kept.size()));
                        kept.write(buf, 0, keep);
                    }
                    dropped.addAndGet(n - keep);
                }
            } catch (IOException e) {
                // the process ended or was killed: what was read so far is the excerpt
            }
        }

        String text() {
            synchronized (kept) {
                return kept.toString(StandardCharsets.UTF_8);
            }
        }

        /** The first {@link #EXCERPT_BYTES} kept. */
        String excerpt() {
            synchronized (kept) {
                return new String(kept.toByteArray(), 0, Math.min(kept.size(), EXCERPT_BYTES), StandardCharsets.UTF_8);
            }
        }

        int size() {
            synchronized (kept) {
                return kept.size();
            }
        }
    }
}
