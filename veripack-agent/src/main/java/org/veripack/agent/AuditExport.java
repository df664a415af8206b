package org.veripack.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.veripack.node.NodeFiles;

/**
 * Follows the node's audit log and sends each new line to a syslog collector as RFC 5424 ({@link Rfc5424}).
 * docs/guide.md "Run the agent" explains the guarantees:
 * <ul>
 *   <li>The hash-chained file stays the record: this class only reads it, after the writer's fsync, so whoever
 *       appends (the agent, a person's {@code veripack install}, the guard) is never slowed or blocked by a
 *       collector, and every line is exported whichever process wrote it.</li>
 *   <li>Between the reader ({@link #poll()}) and the sending thread sits a queue of {@code capacity} messages: when it
 *       is full a new line is dropped and counted ({@link #dropped()}); while the collector is down the sender keeps
 *       the oldest message and reconnects with a back-off of 1 s doubling to 30 s. The {@code auditLine} position in
 *       every message shows a collector where lines are missing; the file has them.</li>
 *   <li>Only complete lines (ending in {@code \n}) are read. The position read up to is kept in {@code cursor}
 *       ({@code NODE/state/agent/syslog-cursor}: line number, byte offset and the SHA-256 of the last line read) so a
 *       restarted agent continues where it stopped. With no cursor (the first start) it starts at the log's first
 *       line, so the collector gets the node's history. The lines already in the log when the export starts wait for
 *       room in the queue instead of being dropped (only lines appended while it runs can be). A cursor the log no longer matches (rewritten or cut) continues at the log's end,
 *       with a warning.</li>
 * </ul>
 * Thread safety: {@link #poll()} is called by one thread at a time (the agent's scheduler); the counters may be read
 * by any thread.
 */
public final class AuditExport implements AutoCloseable {
    private static final long MAX_BACKOFF_MS = 30_000;

    private final Path log;
    private final Path cursor;
    /** The log's size when the export started: lines up to here wait for room in the queue instead of being dropped. */
    private long historyEnd;
    private final SyslogTarget target;
    private final int facility;
    private final int maxBytes;
    private final String fallbackHost;
    private final Consumer<String> warnings;
    private final BlockingQueue<byte[]> queue;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final Thread sender;
    private volatile boolean closing;
    /** Messages queued or held by the sender and not yet sent: what {@link #close(long)} waits for. */
    private final java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger();
    /** The last send or connect failed and none succeeded since: {@link #close(long)} does not wait for a collector that is down. */
    private volatile boolean down;
    private volatile SyslogTarget.Connection connection;

    private long line;
    private long offset;
    private String lastSha;

    /**
     * Opens the export and starts its sending thread (a daemon). Reading starts at the cursor (see the class comment).
     *
     * @param log          the node's audit log ({@code AuditLog.file()})
     * @param cursor       where the read position is kept, or null to keep it in memory only
     * @param target       the collector
     * @param facility     RFC 5424 facility code ({@link Rfc5424#FACILITIES})
     * @param capacity     queue bound in messages, at least 1
     * @param maxBytes     largest message in bytes ({@link Rfc5424#format})
     * @param fallbackHost HOSTNAME for lines without {@code host}
     * @param warnings     receives one line when the collector becomes unreachable and when it is back
     * @throws IOException when the log or the cursor cannot be read
     */
    public AuditExport(Path log, Path cursor, SyslogTarget target, int facility, int capacity, int maxBytes, String fallbackHost,
                       Consumer<String> warnings) throws IOException {
        this.log = Objects.requireNonNull(log, "log");
        this.cursor = cursor;
        this.target = Objects.requireNonNull(target, "target");
        this.facility = facility;
        this.maxBytes = maxBytes;
        this.fallbackHost = fallbackHost;
        this.warnings = Objects.requireNonNull(warnings, "warnings");
        this.queue = new ArrayBlockingQueue<>(capacity);
        Rfc5424.format(new byte[0], 1, "", facility, fallbackHost, maxBytes); // the arguments' checks, before a thread starts
        restore();
        this.sender = new Thread(this::sendLoop, "veripack-audit-export");
        sender.setDaemon(true);
        sender.start();
    }

    /** Messages dropped because the queue was full or the agent stopped before they were sent. */
    public long dropped() { return dropped.get(); }

    /** Messages handed to the transport (UDP: sent; TCP/unix: written to the connection). */
    public long sent() { return sent.get(); }

    /** The collector, e.g. {@code tcp 127.0.0.1:514}. */
    public SyslogTarget target() { return target; }

    /**
     * Reads the lines appended since the last call and queues their messages (never waits for the collector).
     *
     * @return the number of new lines read
     * @throws IOException when the log cannot be read (the position is unchanged)
     */
    public synchronized int poll() throws IOException {
        long size;
        try {
            size = Files.size(log);
        } catch (NoSuchFileException e) {
            return 0;
        }
        if (size < offset) {
            warnings.accept("audit export: " + log + " is shorter than the " + offset + " bytes already exported (cut or replaced);"
                    + " continuing at its end");
            toEnd();
            return 0;
        }
        if (size == offset) {
            return 0;
        }
        int n = 0;
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(size - offset, 4 << 20));
            long pos = offset;
            java.io.ByteArrayOutputStream current = new java.io.ByteArrayOutputStream();
            read:
            while (pos < size) {
                buf.clear();
                int r = ch.read(buf, pos);
                if (r <= 0) {
                    break;
                }
                for (int i = 0; i < r; i++) {
                    byte b = buf.get(i);
                    if (b != '\n') {
                        current.write(b);
                        continue;
                    }
                    byte[] l = current.toByteArray();
                    current.reset();
                    long end = pos + i + 1;
                    String sha = sha256(l);
                    pending.incrementAndGet(); // before the offer: the sender may take and send it at once
                    if (!queue.offer(Rfc5424.format(l, line + 1, sha, facility, fallbackHost, maxBytes))) {
                        pending.decrementAndGet();
                        if (end <= historyEnd) {
                            break read; // history: read again at the next poll, when the sender made room
                        }
                        dropped.incrementAndGet();
                    }
                    line++;
                    offset = end;
                    lastSha = sha;
                    n++;
                }
                pos += r;
            }
        }
        if (n > 0) {
            save();
        }
        return n;
    }

    /**
     * Stops: waits up to {@code drainMillis} for the messages queued or being sent (unless the collector is down: the
     * last attempt failed), then closes the connection; what is left is counted as dropped. The cursor is already
     * past those lines, so a line read just before a stop is sent rather than left for a restart that would skip it.
     */
    public void close(long drainMillis) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(drainMillis);
        while (pending.get() > 0 && !down && System.nanoTime() < until) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        closing = true;
        sender.interrupt();
        SyslogTarget.Connection c = connection;
        if (c != null) {
            c.close(); // unblocks a write to a stalled collector
        }
        try {
            sender.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        dropped.addAndGet(queue.size());
        queue.clear();
    }

    @Override
    public void close() {
        close(1000);
    }

    private void sendLoop() {
        long backoff = 1000;
        byte[] m = null;
        while (!closing) {
            try {
                if (m == null) {
                    m = queue.poll(500, TimeUnit.MILLISECONDS);
                    if (m == null) {
                        continue;
                    }
                }
                if (connection == null) {
                    connection = target.open();
                }
                connection.send(m);
                sent.incrementAndGet();
                pending.decrementAndGet();
                m = null;
                backoff = 1000;
                if (down) {
                    down = false;
                    warnings.accept("audit export: collector " + target + " reachable again");
                }
            } catch (InterruptedException e) {
                break;
            } catch (IOException | RuntimeException e) {
                SyslogTarget.Connection c = connection;
                connection = null;
                if (c != null) {
                    c.close();
                }
                if (closing) {
                    break;
                }
                if (!down) {
                    down = true;
                    warnings.accept("audit export: collector " + target + " unreachable (" + e.getMessage() + "); retrying, "
                            + "at most " + (queue.remainingCapacity() + queue.size()) + " messages queued, the audit log keeps every line");
                }
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    break;
                }
                backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
            }
        }
        if (m != null) {
            dropped.incrementAndGet();
        }
        SyslogTarget.Connection c = connection;
        connection = null;
        if (c != null) {
            c.close();
        }
    }

    /** The cursor when the log still holds its line at its offset, else the log's end. */
    private void restore() throws IOException {
        if (cursor != null && Files.isRegularFile(cursor)) {
            String[] f = Files.readString(cursor, StandardCharsets.US_ASCII).trim().split(" ");
            if (f.length == 3 && f[0].matches("\\d{1,18}") && f[1].matches("\\d{1,18}")) {
                long l = Long.parseLong(f[0]);
                long o = Long.parseLong(f[1]);
                if (l == 0 && o == 0 || o <= sizeOrZero() && f[2].equals(lastLineBefore(o))) {
                    line = l;
                    offset = o;
                    lastSha = f[2];
                    historyEnd = sizeOrZero(); // written while the agent was stopped: waits for room, as the history
                    return;
                }
            }
            warnings.accept("audit export: " + cursor + " does not match " + log + "; continuing at its end");
            toEnd();
            return;
        }
        // the first start: from the first line, the history without drops
        line = 0;
        offset = 0;
        lastSha = "-";
        historyEnd = sizeOrZero();
        save();
    }

    private void toEnd() throws IOException {
        line = 0;
        offset = 0;
        lastSha = "-";
        long size = sizeOrZero();
        if (size > 0) {
            byte[] all = Files.readAllBytes(log);
            int start = 0;
            for (int i = 0; i < all.length; i++) {
                if (all[i] == '\n') {
                    line++;
                    offset = i + 1;
                    lastSha = sha256(java.util.Arrays.copyOfRange(all, start, i));
                    start = i + 1;
                }
            }
        }
        save();
    }

    /** SHA-256 of the line that ends at byte {@code end} (exclusive of its {@code \n}), or null when there is none. */
    private String lastLineBefore(long end) throws IOException {
        if (end == 0) {
            return "-";
        }
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.READ)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            if (ch.read(one, end - 1) != 1 || one.get(0) != '\n') {
                return null;
            }
            long start = end - 1;
            java.io.ByteArrayOutputStream rev = new java.io.ByteArrayOutputStream();
            while (start > 0) {
                one.clear();
                ch.read(one, start - 1);
                if (one.get(0) == '\n') {
                    break;
                }
                start--;
            }
            ByteBuffer l = ByteBuffer.allocate((int) (end - 1 - start));
            ch.read(l, start);
            rev.write(l.array(), 0, l.position());
            return sha256(rev.toByteArray());
        }
    }

    private long sizeOrZero() throws IOException {
        try {
            return Files.size(log);
        } catch (NoSuchFileException e) {
            return 0;
        }
    }

    private void save() throws IOException {
        if (cursor != null) {
            NodeFiles.writeAtomically(cursor, (line + " " + offset + " " + lastSha + "\n").getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
