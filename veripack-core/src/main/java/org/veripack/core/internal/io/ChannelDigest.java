package org.veripack.core.internal.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;

/**
 * The one loop that hashes bytes of a file: positional reads from a {@link FileChannel} into a direct
 * buffer that is handed to each {@link MessageDigest} as it is. Reading into a heap buffer would add a
 * full-size copy (the JDK reads into a temporary direct buffer and copies it); the only copy left is the
 * digest's own ({@code MessageDigestSpi.engineUpdate(ByteBuffer)} moves a direct buffer through a small
 * temporary array that stays in the L1 cache). The buffer is small enough (64 KiB) to still be in the
 * core's cache when the digest reads it: on the benchmark machine a 1 MiB buffer cost 0.45–0.55 s of system time per GiB
 * against 0.13–0.18 s at 16–64 KiB (bench/README.md "Profile").
 */
public final class ChannelDigest {
    /** Size of the read buffer, in bytes. */
    public static final int BUFFER_BYTES = 64 * 1024;

    /** One buffer per hashing thread, reused for every file and entry it hashes. */
    private static final ThreadLocal<ByteBuffer> BUFFER = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(BUFFER_BYTES));

    /** Told the length of each block read, before the block is hashed; throwing stops the loop. */
    @FunctionalInterface
    public interface BlockCheck {
        /** No check. */
        BlockCheck NONE = bytes -> { };

        /** @throws IOException to stop before the block is hashed (e.g. a size limit crossed) */
        void accept(int bytes) throws IOException;
    }

    private ChannelDigest() { }

    /**
     * Updates every digest, in order, with {@code length} bytes of {@code channel} from {@code position} (or up to
     * the end of the file, when it comes first). Positional reads: the channel's own position is not used, so
     * threads may share the channel.
     *
     * @param length the number of bytes, or {@link Long#MAX_VALUE} for the rest of the file
     * @param check  told each block's length before the block is hashed
     * @return the number of bytes hashed: {@code length}, or fewer when the file ended first
     * @throws IOException what reading or {@code check} throws
     */
    public static long update(FileChannel channel, long position, long length, BlockCheck check, MessageDigest... digests)
            throws IOException {
        ByteBuffer buf = BUFFER.get();
        long done = 0;
        while (done < length) {
            buf.clear().limit((int) Math.min(buf.capacity(), length - done));
            int n = channel.read(buf, position + done);
            if (n < 0) {
                break;
            }
            check.accept(n);
            buf.flip();
            for (MessageDigest md : digests) {
                md.update(buf.position(0));
            }
            done += n;
        }
        return done;
    }
}
