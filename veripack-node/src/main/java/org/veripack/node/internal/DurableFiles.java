package org.veripack.node.internal;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.veripack.core.AtomicFile;

/**
 * The node's crash-safe file primitives: atomic symlink replacement and removal of read-only trees, and the
 * node's entry to {@link AtomicFile} (write by temporary file, fsync and atomic rename) with its fault hook.
 * POSIX only (the node runs on Linux): {@code rename(2)} within one directory is atomic, and a
 * directory's entries are durable after an {@code fsync} of the directory itself.
 */
public final class DurableFiles {
    private DurableFiles() { }

    /** {@code fsync} of a regular file or a directory ({@link AtomicFile#fsync}). */
    public static void fsync(Path p) throws IOException {
        AtomicFile.fsync(p);
    }

    /** A random suffix for temporary names ({@code .tmp-<16 hex>}, {@link AtomicFile#tempSuffix}). */
    public static String tempSuffix() {
        return AtomicFile.tempSuffix();
    }

    /**
     * {@link AtomicFile#write(Path, byte[])} with the node's fault hook between the temporary file's {@code fsync}
     * and the rename (failpoint {@code durable.temp-written}). A crash leaves either the old or the new content,
     * plus at worst a stray {@code *.tmp-*} file that recovery removes.
     */
    public static void writeAtomically(Path target, byte[] bytes) throws IOException {
        AtomicFile.write(target, out -> out.write(bytes), () -> Failpoints.hit("durable.temp-written"));
    }

    /** {@code rename(2)}: atomic replacement of {@code target} ({@link AtomicFile#moveAtomically}). */
    public static void moveAtomically(Path source, Path target) throws IOException {
        AtomicFile.moveAtomically(source, target);
    }

    /**
     * Points symlink {@code link} at {@code target} atomically: creates {@code link.tmp-*} then renames
     * it over {@code link} and fsyncs the directory ({@link AtomicFile#renameOver}). Readers see the old or the new target, never none.
     */
    public static void replaceSymlink(Path link, Path target) throws IOException {
        Path dir = link.toAbsolutePath().getParent();
        Path tmp = dir.resolve(link.getFileName() + tempSuffix());
        Files.createSymbolicLink(tmp, target);
        Failpoints.hit("durable.symlink-temp-created");
        AtomicFile.renameOver(tmp, link);
    }

    /** Creates {@code dir} (and parents) if missing and sets its permissions to {@code perms} (e.g. {@code rwx------}). */
    public static void ensureDirectory(Path dir, String perms) throws IOException {
        Files.createDirectories(dir);
        if (Files.isSymbolicLink(dir)) {
            throw new IOException("expected a directory, found a symbolic link: " + dir);
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(perms));
    }

    /**
     * Deletes {@code root} and everything under it without following symlinks, first making read-only
     * directories writable (slots are 0555). Missing {@code root} is fine.
     */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            Files.deleteIfExists(root);
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Set<PosixFilePermission> p = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
                p.add(PosixFilePermission.OWNER_READ);
                p.add(PosixFilePermission.OWNER_WRITE);
                p.add(PosixFilePermission.OWNER_EXECUTE);
                Files.setPosixFilePermissions(dir, p);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                deleteQuietlyIfGone(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                if (exc instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw exc;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                try {
                    deleteQuietlyIfGone(dir);
                } catch (DirectoryNotEmptyException e) {
                    throw new IOException("cannot empty " + dir, e);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void deleteQuietlyIfGone(Path p) throws IOException {
        Files.deleteIfExists(p);
    }
}
