package org.veripack.core;

/**
 * Told how far a long step has got: the hashing pass of a verification or an installation, the copy of a
 * file into a signed package, the cases of a SCAS run. The caller (the CLI) passes one in and decides how
 * to show it; core only counts, in the loops that read the bytes anyway (one call per block read, never a
 * second pass or a copy).
 *
 * <p>A step is {@link #begin}, any number of {@link #advance} calls, then {@link #end} (also when the step
 * failed). Steps do not nest: a {@code begin} while a step is open ends that step first. {@link #advance} may
 * be called from several threads at once (a verification hashes artifacts on a pool) and must be cheap:
 * implementations count atomically and draw at most a few times per second.
 */
public interface ProgressListener {
    /** What a step counts. */
    enum Unit {
        /** Bytes read (uncompressed artifact bytes, file bytes). */
        BYTES,
        /** Whole items, e.g. SCAS test cases. */
        ITEMS
    }

    /**
     * A step starts.
     *
     * @param step  what is being done, lower case, e.g. {@code "hashing artifacts"}
     * @param total the amount the step will count when complete, in {@code unit}s; -1 when unknown
     * @param unit  what {@code total} and {@link #advance} count
     */
    void begin(String step, long total, Unit unit);

    /**
     * {@code amount} more units of the current step are done (not a running total). Thread-safe.
     *
     * @param amount units done since the previous call, at least 0
     */
    void advance(long amount);

    /** The current step ended, complete or not; nothing is open afterwards. */
    void end();

    /** Listens to nothing: the default wherever no listener is given. */
    ProgressListener NONE = new ProgressListener() {
        @Override public void begin(String step, long total, Unit unit) { }

        @Override public void advance(long amount) { }

        @Override public void end() { }
    };
}
