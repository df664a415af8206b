package org.veripack.node.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * TEST ONLY fault injection at the node's filesystem steps (FaultMatrixTest; docs/node.md "Install sequence"). Off in production: unless
 * the JVM is started with {@code -Dveripack.failpoint=NAME[:fail|:oom|:kill|:pause:DIR]} (read once, when
 * this class loads), {@link #hit} returns immediately and does nothing.
 *
 * <ul>
 *   <li>{@code NAME:fail} (default) — the first hit of {@code NAME} throws an {@link IOException}, as if
 *       the file system operation after that point failed (EIO, ENOSPC);</li>
 *   <li>{@code NAME:oom} — the first hit throws an {@link OutOfMemoryError}, as if the heap ran out at
 *       that point: an {@link Error}, not an exception, so tests see that a crash is still audited and
 *       reported in one line;</li>
 *   <li>{@code NAME:kill} — the first hit halts the JVM with status 137 at once (no finally blocks, no
 *       shutdown hooks: the effect of {@code kill -9});</li>
 *   <li>{@code NAME:pause:DIR} — the first hit creates {@code DIR/paused} and waits (at most 60 s) until
 *       {@code DIR/resume} exists, so a test can change the world mid-install.</li>
 * </ul>
 * {@link #NAMES} lists every point in the order an install, then a rollback, reaches them.
 */
public final class Failpoints {
    /** The system property that arms one failpoint. */
    public static final String PROPERTY = "veripack.failpoint";

    /** Every failpoint, in execution order of install (with activation) then rollback. */
    public static final List<String> NAMES = List.of(
            "install.staging-created",      // NODE/staging/install-* exists, nothing extracted
            "install.extract-file",         // the first artifact file is being written into staging
            "install.extracted",            // verify-while-extract finished, ACCEPTED
            "install.read-only",            // staged tree made read-only and fsync'ed
            "install.sealed",               // sealed record and manifest written to NODE/state
            "install.accepted-audited",     // install_accepted event appended
            "install.slot-moved",           // staged slot renamed into NODE/slots
            "activate.previous-switched",   // previous -> old current (current not yet switched)
            "activate.current-switched",    // current -> new slot
            "install.versions-written",     // version floor and active slot recorded
            "install.activation-audited",   // activation event appended
            "install.staging-removed",      // work directory deleted, before garbage collection
            "durable.temp-written",         // any atomic write: temp file fsync'ed, not yet renamed
            "durable.symlink-temp-created", // any symlink swap: temp link created, not yet renamed
            "rollback.verified",            // previous slot re-verified, nothing switched yet
            "rollback.versions-written",    // versions.json names the target, current not yet switched
            "rollback.current-switched",    // current -> target, previous still names it
            "rollback.previous-removed");   // previous removed, before the audit event

    private static volatile String armed = System.getProperty(PROPERTY);
    private static volatile boolean fired;

    private Failpoints() { }

    /** Whether any failpoint is armed (false in production). */
    public static boolean armed() {
        return armed != null;
    }

    /**
     * TEST ONLY: arms {@code spec} (same syntax as the property) in this JVM, or disarms with null.
     * For in-process tests of the {@code fail} mode.
     */
    public static void armForTest(String spec) {
        fired = false;
        armed = spec;
    }

    /** Marks a filesystem step; a no-op unless this step is the armed failpoint. */
    public static void hit(String name) throws IOException {
        String spec = armed;
        if (spec == null || fired) {
            return;
        }
        String[] parts = spec.split(":", 3);
        if (!parts[0].equals(name)) {
            return;
        }
        fired = true;
        String mode = parts.length > 1 ? parts[1] : "fail";
        switch (mode) {
            case "kill" -> Runtime.getRuntime().halt(137);
            case "oom" -> throw new OutOfMemoryError("failpoint " + name + ": injected");
            case "pause" -> pause(Path.of(parts[2]));
            default -> throw new IOException("failpoint " + name + ": injected I/O failure");
        }
    }

    private static void pause(Path dir) throws IOException {
        Files.createFile(dir.resolve("paused"));
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!Files.exists(dir.resolve("resume"))) {
            if (System.nanoTime() > deadline) {
                throw new IOException("failpoint pause: nobody resumed within 60 s");
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("failpoint pause interrupted", e);
            }
        }
    }
}
