package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.veripack.core.ProgressListener;
import org.veripack.core.ProgressListener.Unit;

/** {@link TerminalProgress} on an injected clock, and {@link ProgressOptions}' choice of listener. */
class TerminalProgressTest {
    private static final long MS = 1_000_000L;
    private final AtomicLong now = new AtomicLong(5_000 * MS);
    private final StringWriter text = new StringWriter();

    private TerminalProgress progress(long delayMs) {
        return new TerminalProgress(new PrintWriter(text), "verify", delayMs * MS, 250 * MS, now::get);
    }

    @Test
    void aStepThatEndsBeforeTheDelayPrintsNothing() {
        TerminalProgress p = progress(1000);
        p.begin("hashing artifacts", 100 << 20, Unit.BYTES);
        for (int i = 0; i < 100; i++) {
            now.addAndGet(9 * MS);
            p.advance(1 << 20);
        }
        p.end();
        assertEquals("", text.toString());
    }

    @Test
    void afterTheDelayAtMostOneDrawingPerIntervalThenTheFinalStateOnItsOwnLine() {
        TerminalProgress p = progress(1000);
        p.begin("hashing artifacts", 100L << 20, Unit.BYTES);
        for (int i = 0; i < 100; i++) { // 100 MiB, 1 MiB every 20 ms: 2 s
            now.addAndGet(20 * MS);
            p.advance(1 << 20);
        }
        p.end();
        String out = text.toString();
        String[] drawings = out.split("\r", -1);
        // nothing before 1 s (50 MiB), then one drawing per 250 ms: at 1.0, 1.26, 1.52, 1.78 s, and the final one
        assertEquals(1 + 5, drawings.length, out);
        assertTrue(drawings[1].startsWith("veripack verify: hashing artifacts   50%  50.0 MiB / 100.0 MiB  50.0 MiB/s"), drawings[1]);
        assertTrue(drawings[5].startsWith("veripack verify: hashing artifacts  100%  100.0 MiB / 100.0 MiB"), drawings[5]);
        assertTrue(out.endsWith("\n"), "the step's line is ended");
        assertEquals(1, out.chars().filter(c -> c == '\n').count());
    }

    @Test
    void aNewStepEndsTheOpenOneAndAnUnknownTotalShowsNoPercentage() {
        TerminalProgress p = progress(0);
        p.begin("fetching https://example.invalid/image.qcow2", -1, Unit.BYTES);
        now.addAndGet(200 * MS);
        p.advance(123_456_789);
        p.begin("hashing artifacts", 10, Unit.BYTES); // ends the open step first
        p.advance(10);
        p.end();
        String[] lines = text.toString().split("\n", -1);
        assertEquals(3, lines.length, text.toString());
        assertTrue(lines[0].contains("117.7 MiB") && lines[0].contains("/s") && !lines[0].contains("%"), lines[0]);
        assertTrue(lines[1].startsWith("\rveripack verify: hashing artifacts  100%  10 B / 10 B"), lines[1]);
        assertEquals("", lines[2]);
    }

    @Test
    void itemsAreCountedAsDoneOfTotal() {
        assertEquals("12/40  30%", TerminalProgress.describe(12, 40, Unit.ITEMS, 0));
        assertEquals("1.5 KiB", TerminalProgress.bytes(1536));
        assertEquals("512 B", TerminalProgress.bytes(512));
        assertEquals("100%  2.0 GiB / 2.0 GiB  1.0 GiB/s", TerminalProgress.describe(3L << 30, 2L << 30, Unit.BYTES, 3_000 * MS));
    }

    @Test
    void quietJsonAndAutoWithoutATerminalGetNoListener() {
        String before = System.getProperty(ProgressOptions.TERMINAL_PROPERTY);
        try {
            ProgressOptions o = new ProgressOptions();
            PrintWriter err = new PrintWriter(text);
            System.setProperty(ProgressOptions.TERMINAL_PROPERTY, "false");
            assertSame(ProgressListener.NONE, o.listener(err, "verify", false), "auto, stderr not a terminal");
            System.setProperty(ProgressOptions.TERMINAL_PROPERTY, "true");
            assertTrue(o.listener(err, "verify", false) instanceof TerminalProgress, "auto on a terminal");
            assertSame(ProgressListener.NONE, o.listener(err, "verify", true), "auto with --json");
            o.quiet = true;
            assertSame(ProgressListener.NONE, o.listener(err, "verify", false), "--quiet");
            o.when = ProgressOptions.When.always;
            assertSame(ProgressListener.NONE, o.listener(err, "verify", false), "--quiet beats --progress=always");
            o.quiet = false;
            System.setProperty(ProgressOptions.TERMINAL_PROPERTY, "false");
            assertTrue(o.listener(err, "verify", true) instanceof TerminalProgress, "always: also with --json, not on a terminal");
            o.when = ProgressOptions.When.never;
            assertSame(ProgressListener.NONE, o.listener(err, "verify", false));
        } finally {
            if (before == null) {
                System.clearProperty(ProgressOptions.TERMINAL_PROPERTY);
            } else {
                System.setProperty(ProgressOptions.TERMINAL_PROPERTY, before);
            }
        }
    }
}
