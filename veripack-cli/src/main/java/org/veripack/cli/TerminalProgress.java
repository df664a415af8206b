package org.veripack.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.veripack.core.ProgressListener;

/**
 * Draws core's progress steps as one line on stderr, redrawn in place ({@code \r}):
 * {@code veripack verify: hashing artifacts  45%  460.5 MiB / 1.0 GiB  212.3 MiB/s}, or for items
 * {@code veripack scas: running cases  12/40  30%}. Nothing is drawn before {@code delayNanos} after this object was
 * created (a command that finishes sooner prints nothing), then at most once per {@code intervalNanos}; a step that
 * was drawn ends with its final state and a line break, so the next output starts on a clean line.
 *
 * <p>{@link #advance} comes from the hashing threads: it adds to an atomic counter and reads the clock; only a call
 * that finds the next drawing time passed takes the lock and draws.
 */
final class TerminalProgress implements ProgressListener {
    /** Delay before the first drawing when stderr is a terminal: a command that ends sooner stays silent. */
    static final long DEFAULT_DELAY_NANOS = 1_000_000_000L;
    /** Shortest time between two drawings: four updates per second. */
    static final long DEFAULT_INTERVAL_NANOS = 250_000_000L;

    private final PrintWriter err;
    private final String prefix;
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final AtomicLong done = new AtomicLong();
    /** Earliest time of the next drawing, per {@link #nanoTime}; {@code Long.MAX_VALUE} while no step is open. */
    private volatile long nextDraw = Long.MAX_VALUE;
    private final long firstDraw;
    // guarded by this
    private String step;
    private long total;
    private Unit unit;
    private long stepStart;
    private int drawnWidth = -1; // -1: this step drew nothing yet

    /**
     * @param err           where to draw (the command's stderr)
     * @param command       the command name in the line's prefix, e.g. {@code verify}
     * @param delayNanos    nothing is drawn before this long after construction
     * @param intervalNanos at most one drawing per this long
     * @param nanoTime      the clock ({@link System#nanoTime} outside tests)
     */
    TerminalProgress(PrintWriter err, String command, long delayNanos, long intervalNanos, LongSupplier nanoTime) {
        this.err = err;
        this.prefix = "veripack " + command + ": ";
        this.intervalNanos = intervalNanos;
        this.nanoTime = nanoTime;
        this.firstDraw = nanoTime.getAsLong() + delayNanos;
    }

    @Override
    public synchronized void begin(String step, long total, Unit unit) {
        if (this.step != null) {
            end();
        }
        this.step = step;
        this.total = total;
        this.unit = unit;
        this.done.set(0);
        this.stepStart = nanoTime.getAsLong();
        this.drawnWidth = -1;
        long now = stepStart;
        nextDraw = now - firstDraw >= 0 ? now : firstDraw;
    }

    @Override
    public void advance(long amount) {
        done.addAndGet(amount);
        long now = nanoTime.getAsLong();
        if (now - nextDraw >= 0) {
            synchronized (this) {
                if (step != null && now - nextDraw >= 0) {
                    draw(now);
                    nextDraw = now + intervalNanos;
                }
            }
        }
    }

    @Override
    public synchronized void end() {
        if (step == null) {
            return;
        }
        if (drawnWidth >= 0) {
            draw(nanoTime.getAsLong());
            err.println();
            err.flush();
        }
        step = null;
        nextDraw = Long.MAX_VALUE;
    }

    /** Redraws the line in place, padding over a longer previous one. Caller holds the lock. */
    private void draw(long now) {
        String line = prefix + step + "  " + describe(done.get(), total, unit, now - stepStart);
        int width = line.length();
        StringBuilder sb = new StringBuilder(width + 8).append('\r').append(line);
        for (int i = width; i < drawnWidth; i++) {
            sb.append(' ');
        }
        err.print(sb);
        err.flush();
        drawnWidth = Math.max(width, drawnWidth);
    }

    /**
     * The state of a step: {@code 45%  460.5 MiB / 1.0 GiB  212.3 MiB/s} (bytes; percentage and total only when
     * the total is known, the rate once the step ran 0.1 s), {@code 12/40  30%} (items).
     */
    static String describe(long done, long total, Unit unit, long elapsedNanos) {
        long shown = total >= 0 ? Math.min(done, total) : done;
        String percent = total > 0 ? (shown * 100 / total) + "%" : total == 0 ? "100%" : null;
        if (unit == Unit.ITEMS) {
            return shown + (total >= 0 ? "/" + total : "") + (percent != null ? "  " + percent : "");
        }
        StringBuilder sb = new StringBuilder();
        if (percent != null) {
            sb.append(String.format(Locale.ROOT, "%4s", percent)).append("  ");
        }
        sb.append(bytes(shown));
        if (total >= 0) {
            sb.append(" / ").append(bytes(total));
        }
        if (elapsedNanos >= 100_000_000L) {
            sb.append("  ").append(bytes((long) (done * 1e9 / elapsedNanos))).append("/s");
        }
        return sb.toString();
    }

    /** Binary units, one decimal: {@code 512 B}, {@code 1.5 KiB}, {@code 460.5 MiB}, {@code 1.0 GiB}. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int i = -1;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
    }
}
