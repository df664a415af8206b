package org.veripack.core.internal.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import org.veripack.core.ProgressListener;

/** Stream plumbing shared by the zip/CSAR and CMS code: the one copy loop, and a digest as a stream. */
public final class Streams {
    /** Size of the blocks {@link #transfer} reads from a stream that is not read ahead, in bytes. */
    public static final int BUFFER_BYTES = 256 * 1024;

    private Streams() { }

    /**
     * Copies the rest of {@code in} to {@code out}, in order: a {@link PrefetchInputStream} hands over its
     * own buffers (no copy), any other stream is read in {@link #BUFFER_BYTES} blocks. {@code out} must not
     * keep the arrays it is given.
     *
     * @return the number of bytes copied
     * @throws IOException what reading {@code in} or writing {@code out} throws, after the bytes before it
     */
    public static long transfer(InputStream in, OutputStream out) throws IOException {
        if (in instanceof PrefetchInputStream) {
            return in.transferTo(out);
        }
        long count = 0;
        byte[] buf = new byte[BUFFER_BYTES];
        int n;
        while ((n = in.read(buf)) != -1) {
            out.write(buf, 0, n);
            count += n;
        }
        return count;
    }

    /**
     * {@code out}, telling {@code progress} how many bytes each block written to it holds: one call per block
     * (the copy loops write 256 KiB or 1 MiB at a time), no copy. {@code out} itself when {@code progress}
     * is {@link ProgressListener#NONE}.
     */
    public static OutputStream counting(OutputStream out, ProgressListener progress) {
        if (progress == ProgressListener.NONE) {
            return out;
        }
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                out.write(b);
                progress.advance(1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
                progress.advance(len);
            }

            @Override
            public void flush() throws IOException {
                out.flush();
            }
        };
    }

    /**
     * {@code in}, telling {@code progress} how many bytes each block read from it holds (one call per read,
     * no copy; put a buffer in front so reads are large). {@code in} itself when {@code progress} is
     * {@link ProgressListener#NONE}.
     */
    public static InputStream counting(InputStream in, ProgressListener progress) {
        if (progress == ProgressListener.NONE) {
            return in;
        }
        return new java.io.FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                int b = in.read();
                if (b >= 0) {
                    progress.advance(1);
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = in.read(b, off, len);
                if (n > 0) {
                    progress.advance(n);
                }
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                long skipped = in.skip(n);
                progress.advance(Math.max(0, skipped));
                return skipped;
            }
        };
    }

    /** An output stream that only updates each of {@code digests}, in order, with what is written to it. */
    public static OutputStream updating(MessageDigest... digests) {
        return new OutputStream() {
            @Override
            public void write(int b) {
                for (MessageDigest md : digests) {
                    md.update((byte) b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                for (MessageDigest md : digests) {
                    md.update(b, off, len);
                }
            }
        };
    }
}
