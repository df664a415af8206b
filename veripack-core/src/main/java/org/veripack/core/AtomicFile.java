package org.veripack.core;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The one way Veripack replaces a file: write a temporary file in the target's directory, {@code fsync} it,
 * {@code rename(2)} it over the target, {@code fsync} the directory. A reader sees the old or the new content,
 * never a part; after a crash the file holds one of the two, plus at worst a stray {@code NAME.tmp-<16 hex>}
 * (the node's recovery removes those under its root). POSIX only: {@code rename(2)} within one directory is
 * atomic, and a directory's entries are durable after an {@code fsync} of the directory itself (Linux allows
 * opening a directory read-only to {@code fsync} it). Used for signed packages, the node's state, trust store
 * and audit head, the CRL cache and SCAS reports.
 */
public final class AtomicFile {
    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicFile() { }

    /** Writes the new content of a file. */
    @FunctionalInterface
    public interface Content {
        /** Writes the bytes to {@code out} (which it may close). @throws IOException on failure */
        void writeTo(OutputStream out) throws IOException;
    }

    /** A step run after the temporary file is durable and before it is renamed (a test's fault hook). */
    @FunctionalInterface
    public interface BeforeRename {
        /** @throws IOException to abandon the write: the temporary file stays, the target is unchanged */
        void run() throws IOException;
    }

    /**
     * Replaces {@code target} by {@code bytes} atomically and durably.
     *
     * @throws IOException when the directory cannot be written, or its file system cannot rename atomically;
     *                     the target is then unchanged and no temporary file is left
     */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes), () -> { });
    }

    /** Replaces {@code target} by what {@code content} writes, atomically and durably; see {@link #write(Path, byte[])}. */
    public static void write(Path target, Content content) throws IOException {
        write(target, content, () -> { });
    }

    /**
     * Replaces {@code target} by what {@code content} writes, atomically and durably, running {@code beforeRename}
     * between the temporary file's {@code fsync} and the {@code rename(2)}.
     *
     * @throws IOException from {@code content}, from {@code beforeRename} (the temporary file is then left, as a
     *                     crash would leave it), or when the file system cannot write or rename atomically (the
     *                     target unchanged, the temporary file removed)
     */
    public static void write(Path target, Content content, BeforeRename beforeRename) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = dir.resolve(target.getFileName() + tempSuffix());
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            // a writer may close the stream it is given (a zip stream closes its target): the channel stays open
            // for the fsync
            OutputStream out = new FilterOutputStream(Channels.newOutputStream(ch)) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    this.out.write(b, off, len);
                }

                @Override
                public void close() throws IOException {
                    flush();
                }
            };
            content.writeTo(out);
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        beforeRename.run();
        renameOver(tmp, target);
    }

    /**
     * The last step of every atomic replacement: renames the temporary {@code tmp}, made in {@code target}'s
     * directory, over {@code target} ({@code rename(2)}, {@link #moveAtomically}), then {@code fsync}s that directory so
     * the new entry is durable. Also for what {@link #write} cannot make, such as a symbolic link.
     *
     * @throws IOException when the rename fails or the file system cannot rename atomically (the target unchanged,
     *                     {@code tmp} removed), or the directory cannot be synced (the rename done)
     */
    public static void renameOver(Path tmp, Path target) throws IOException {
        try {
            moveAtomically(tmp, target);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        fsync(target.toAbsolutePath().getParent());
    }

    /** {@code rename(2)}: atomic replacement of {@code target} (a file, or a symlink itself, never followed). */
    public static void moveAtomically(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system cannot rename atomically: " + target, e);
        }
    }

    /** {@code fsync} of a regular file or a directory. @throws IOException when it cannot be opened or synced */
    public static void fsync(Path p) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** A random suffix for temporary names, {@code .tmp-<16 hex>}. */
    public static String tempSuffix() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return ".tmp-" + HexFormat.of().formatHex(b);
    }
}
