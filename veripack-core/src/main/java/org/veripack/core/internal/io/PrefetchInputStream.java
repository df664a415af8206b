package org.veripack.core.internal.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.veripack.core.ProgressListener;

/**
 * Reads a source stream ahead on another thread into a few recycled buffers, so that producing the bytes
 * (inflating a DEFLATED zip entry) and consuming them (hashing, writing to staging) overlap on two cores,
 * as {@code unzip -p | openssl dgst} does with two processes. Every byte still passes once through the
 * source stream (with its limit and consistency checks) and once to the reader, in order; an exception of
 * the source reaches the reader at the position where it happened.
 *
 * <p>Memory: at most {@link #BUFFERS} buffers of {@link #BUFFER_BYTES} bytes per stream. Not thread-safe
 * for the reader side (one consumer).
 */
public final class PrefetchInputStream extends InputStream {
    /** Size of one read-ahead buffer, in bytes. */
    public static final int BUFFER_BYTES = 1 << 20;
    /** Buffers per stream (read-ahead depth). */
    public static final int BUFFERS = 4;
    private static final long POLL_MILLIS = 50;
    /** Sources shorter than this many bytes are read directly: the hand-off between threads costs more. */
    public static final long MIN_SOURCE_BYTES = 4L * 1024 * 1024;

    private record Chunk(byte[] bytes, int length, IOException error) {
        static final Chunk END = new Chunk(null, -1, null);
    }

    private final InputStream source;
    private final ProgressListener progress;
    private final BlockingQueue<Chunk> full = new ArrayBlockingQueue<>(BUFFERS + 1);
    private final BlockingQueue<byte[]> empty = new ArrayBlockingQueue<>(BUFFERS);
    private final CountDownLatch producerDone = new CountDownLatch(1);
    private volatile boolean closed;
    private Chunk current;
    private int position;
    private boolean ended;

    /**
     * The producers' threads for one verification: daemon threads named {@code name}, created when a stream
     * needs one and reused; the caller shuts it down, never with {@code shutdownNow} (an interrupt during a
     * {@code FileChannel} read would close the zip's shared channel).
     */
    public static ExecutorService newExecutor(String name) {
        return Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts reading {@code source} ahead on a thread of {@code executor}.
     *
     * @param source   the stream to read; closed by {@link #close}
     * @param executor from {@link #newExecutor}
     */
    public PrefetchInputStream(InputStream source, ExecutorService executor) {
        this(source, executor, ProgressListener.NONE);
    }

    /**
     * As {@link #PrefetchInputStream(InputStream, ExecutorService)}, telling {@code progress} the length of
     * each buffer when the reader takes it (one call per {@link #BUFFER_BYTES} read, on the reader's thread).
     */
    public PrefetchInputStream(InputStream source, ExecutorService executor, ProgressListener progress) {
        this.source = source;
        this.progress = java.util.Objects.requireNonNull(progress, "progress");
        for (int i = 0; i < BUFFERS; i++) {
            empty.add(new byte[BUFFER_BYTES]);
        }
        executor.execute(this::produce);
    }

    /**
     * The producer never gets interrupted: an interrupt during a {@code FileChannel} read would close the
     * zip's shared channel. It polls instead, and stops when the reader closed the stream.
     */
    private void produce() {
        try {
            while (!closed) {
                byte[] buf = empty.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
                if (buf == null) {
                    continue;
                }
                int n = 0;
                boolean end = false;
                IOException error = null;
                try {
                    while (n < buf.length) {
                        int r = source.read(buf, n, buf.length - n);
                        if (r < 0) {
                            end = true;
                            break;
                        }
                        n += r;
                    }
                } catch (IOException e) {
                    error = e; // the bytes before the failure are delivered first
                }
                if (n > 0 && !offer(new Chunk(buf, n, null))) {
                    return;
                }
                if (error != null) {
                    offer(new Chunk(null, -1, error));
                    return;
                }
                if (end) {
                    offer(Chunk.END);
                    return;
                }
            }
        } catch (RuntimeException e) {
            offer(new Chunk(null, -1, new IOException("read-ahead failed: " + e, e)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            producerDone.countDown();
        }
    }

    /** Hands a chunk to the reader; false when the reader closed the stream meanwhile. */
    private boolean offer(Chunk c) {
        try {
            while (!closed) {
                if (full.offer(c, POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                    return true;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    /** The next chunk with unread bytes, or null at the end. */
    private Chunk chunk() throws IOException {
        if (ended) {
            return null;
        }
        if (current != null && position < current.length()) {
            return current;
        }
        if (current != null) {
            empty.add(current.bytes());
            current = null;
        }
        Chunk c;
        try {
            c = full.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading ahead");
        }
        if (c.error() != null) {
            ended = true;
            throw c.error();
        }
        if (c == Chunk.END) {
            ended = true;
            return null;
        }
        current = c;
        position = 0;
        progress.advance(c.length());
        return c;
    }

    @Override
    public int read() throws IOException {
        Chunk c = chunk();
        return c == null ? -1 : c.bytes()[position++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        Chunk c = chunk();
        if (c == null) {
            return -1;
        }
        int n = Math.min(len, c.length() - position);
        System.arraycopy(c.bytes(), position, b, off, n);
        position += n;
        return n;
    }

    /**
     * Writes the rest of the stream to {@code out} straight from the read-ahead buffers, without copying
     * them first; {@code out} must not keep the arrays (they are refilled after each call).
     *
     * @return the number of bytes written
     */
    @Override
    public long transferTo(OutputStream out) throws IOException {
        long count = 0;
        for (Chunk c = chunk(); c != null; c = chunk()) {
            int n = c.length() - position;
            out.write(c.bytes(), position, n);
            position = c.length();
            count += n;
        }
        return count;
    }

    /** Stops the producer (after its current read), then closes the source. */
    @Override
    public void close() throws IOException {
        closed = true;
        try {
            producerDone.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while stopping the read-ahead");
        } finally {
            source.close();
        }
    }
}
