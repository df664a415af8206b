package org.veripack.node.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The installer lock: an exclusive {@code fcntl} lock ({@link FileChannel#tryLock()}) on {@code NODE/lock}.
 * The kernel releases it when the holder dies (also on {@code kill -9}), so a crashed installer never
 * leaves a stale lock. Only the holder may touch staging, slots, state versions and the symlinks.
 */
public final class NodeLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private NodeLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock without waiting; empty when another process (or another holder in this JVM) has it. */
    public static Optional<NodeLock> tryAcquire(NodeLayout layout) throws IOException {
        FileChannel ch = FileChannel.open(layout.lockFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock l = ch.tryLock();
            if (l == null) {
                ch.close();
                return Optional.empty();
            }
            return Optional.of(new NodeLock(ch, l));
        } catch (OverlappingFileLockException e) {
            ch.close();
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
