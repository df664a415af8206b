package org.veripack.core.internal.csar;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * The read-only file channel Commons Compress indexes a zip through: while {@link #indexing} it counts
 * the bytes of every relative read (the end records, the central directory, each local header's length
 * fields and extra field: everything {@code ZipFile} reads and keeps while it opens the archive) and fails
 * the read that would pass the budget with {@link ZipArchive.LimitExceededException}. Local header extra
 * fields (up to 64 KiB each, kept by Commons Compress for every entry) are not bounded by the central
 * directory size, so only counting what is actually read bounds the memory of the index. Entry data is
 * read with positional reads, which are never counted.
 */
final class HeaderBudgetChannel extends FileChannel {
    private final FileChannel file;
    private final long budget;
    private long used;
    private boolean exceeded;
    private volatile boolean indexing = true;

    /**
     * @param file   the archive, open for reading; it stays open when this channel is closed (Commons Compress
     *               closes this channel when it cannot read the archive, and the caller may still be hashing
     *               the file: whoever opened it closes it)
     * @param budget bytes relative reads may return while indexing
     */
    HeaderBudgetChannel(FileChannel file, long budget) {
        this.file = file;
        this.budget = budget;
    }

    /** Stops counting: the index is built, what follows reads entry data. */
    void indexed() {
        indexing = false;
    }

    /** Whether a read failed because the budget was spent. */
    boolean exceeded() {
        return exceeded;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (!indexing) {
            return file.read(dst);
        }
        long allowed = budget - used;
        if (dst.remaining() > allowed) {
            exceeded = true;
            throw new ZipArchive.LimitExceededException("zip headers larger than the limit of "
                    + budget + " bytes read to index the archive");
        }
        int n = file.read(dst);
        used += Math.max(n, 0);
        return n;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        long n = 0;
        for (int i = offset; i < offset + length; i++) {
            int r = read(dsts[i]);
            if (r < 0) {
                return n == 0 ? -1 : n;
            }
            n += r;
            if (dsts[i].hasRemaining()) {
                break;
            }
        }
        return n;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return file.read(dst, position);
    }

    @Override
    public long position() throws IOException {
        return file.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        file.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return file.size();
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return file.transferTo(position, count, target);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        if (mode != MapMode.READ_ONLY) {
            throw new NonWritableChannelException();
        }
        return file.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return file.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return file.tryLock(position, size, shared);
    }

    @Override
    public int write(ByteBuffer src) {
        throw new NonWritableChannelException();
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) {
        throw new NonWritableChannelException();
    }

    @Override
    public int write(ByteBuffer src, long position) {
        throw new NonWritableChannelException();
    }

    @Override
    public FileChannel truncate(long size) {
        throw new NonWritableChannelException();
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) {
        throw new NonWritableChannelException();
    }

    @Override
    public void force(boolean metaData) throws IOException {
        file.force(metaData);
    }

    @Override
    protected void implCloseChannel() {
        // the file belongs to whoever opened it (see the constructor)
    }
}
