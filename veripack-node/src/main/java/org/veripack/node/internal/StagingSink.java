package org.veripack.node.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.veripack.core.ArtifactSink;
import org.veripack.core.ArtifactType;

/**
 * The installer's {@link ArtifactSink}: writes each artifact under one staging directory only, with
 * owner-only permissions while writing; every regular file is fsync'ed when the verifier closes it.
 * Defence in depth on top of the verifier's own path checks: a path that is absolute, has an empty,
 * {@code .} or {@code ..} segment, passes through a symlink, or a symlink whose target leaves the slot
 * is refused with {@link UnsafeEntryException} (an {@link IOException}, so it aborts the single pass).
 * Records what it wrote (type, bytes) so the installer can check it against the verified artifact list.
 *
 * <p>Each regular file gets its final read-only mode (0444, or 0555 when the signed mode has an execute
 * bit) when the verifier closes it, then one fsync persists content and mode; the fsyncs run on a small
 * pool, and {@link #awaitDurable()} waits for all of them before the installer seals the slot.
 */
public final class StagingSink implements ArtifactSink, AutoCloseable {
    /** Concurrent fsyncs let the file system batch them into few journal commits. */
    private static final int FSYNC_THREADS = 4;

    private final Path root;
    private final Map<String, Written> written = new LinkedHashMap<>();
    private final ExecutorService fsyncs = Executors.newFixedThreadPool(FSYNC_THREADS, r -> {
        Thread t = new Thread(r, "veripack-fsync");
        t.setDaemon(true);
        return t;
    });
    private final List<Future<?>> pending = new ArrayList<>();

    /** What was written for one path. */
    public record Written(ArtifactType type, long bytes, String linkTarget) { }

    /** A sink path or symlink target that would leave the staging slot. */
    public static final class UnsafeEntryException extends IOException {
        private static final long serialVersionUID = 1L;
        private final String entry;

        public UnsafeEntryException(String entry, String why) {
            super(why + ": " + entry);
            this.entry = entry;
        }

        public String entry() { return entry; }
    }

    /** @param root an existing, empty directory under {@code NODE/staging} */
    public StagingSink(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() { return root; }

    /** The install's own staging work directory (parent of the slot tree): option-2 spooling stays in staging. */
    @Override
    public Path scratchDirectory() { return root.getParent(); }

    /** Paths received so far, in order, with what was written. */
    public Map<String, Written> written() { return Map.copyOf(written); }

    @Override
    public void directory(String path, int mode) throws IOException {
        Path d = resolve(path);
        if (Files.exists(d, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
            throw new UnsafeEntryException(path, "directory over an existing non-directory");
        }
        Files.createDirectories(d);
        written.put(path, new Written(ArtifactType.DIRECTORY, 0, null));
    }

    @Override
    public OutputStream file(String path, int mode, long sizeBytes) throws IOException {
        Path f = resolve(path);
        Files.createDirectories(f.getParent());
        Failpoints.hit("install.extract-file");
        FileChannel ch = FileChannel.open(f, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        written.put(path, new Written(ArtifactType.FILE, 0, null));
        return new OutputStream() {
            private long count;
            private boolean closed;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                count += len;
            }

            @Override
            public void close() throws IOException {
                if (closed) {
                    return;
                }
                closed = true;
                try {
                    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString((mode & 0111) != 0 ? "r-xr-xr-x" : "r--r--r--"));
                } catch (IOException | RuntimeException e) {
                    ch.close();
                    throw e;
                }
                written.put(path, new Written(ArtifactType.FILE, count, null));
                pending.add(fsyncs.submit(() -> {
                    try (FileChannel c = ch) {
                        c.force(true);
                    }
                    return null;
                }));
            }
        };
    }

    @Override
    public void symlink(String path, String target) throws IOException {
        Path l = resolve(path);
        if (target == null || target.isEmpty() || target.startsWith("/") || target.indexOf('\0') >= 0) {
            throw new UnsafeEntryException(path, "symlink target is not relative");
        }
        Path resolved = l.getParent().resolve(target).normalize();
        if (!resolved.startsWith(root) || resolved.equals(root)) {
            throw new UnsafeEntryException(path, "symlink target leaves the slot");
        }
        Files.createDirectories(l.getParent());
        Files.createSymbolicLink(l, Path.of(target));
        written.put(path, new Written(ArtifactType.SYMLINK, target.getBytes(java.nio.charset.StandardCharsets.UTF_8).length, target));
    }

    /**
     * Waits until every file written so far is fsync'ed.
     *
     * @throws IOException the first fsync failure (e.g. disk full surfaced at fsync)
     */
    public void awaitDurable() throws IOException {
        for (Future<?> f : pending) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for fsync", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                throw new IOException("fsync failed", e.getCause());
            }
        }
        pending.clear();
    }

    /** Waits for outstanding fsyncs (closing every file) and stops the pool; failures are ignored here. */
    @Override
    public void close() {
        try {
            awaitDurable();
        } catch (IOException ignored) {
            // the install is failing anyway; the files are closed by their tasks
        }
        fsyncs.shutdown();
    }

    /** Resolves a sink path under the root, refusing anything that could leave it. */
    Path resolve(String path) throws IOException {
        if (path == null || path.isEmpty() || path.startsWith("/") || path.indexOf('\0') >= 0 || path.indexOf('\\') >= 0) {
            throw new UnsafeEntryException(String.valueOf(path), "not a safe relative path");
        }
        for (String seg : path.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
                throw new UnsafeEntryException(path, "empty, '.' or '..' segment");
            }
        }
        Path p = root.resolve(path).normalize();
        if (!p.startsWith(root) || p.equals(root)) {
            throw new UnsafeEntryException(path, "path leaves the slot");
        }
        for (Path a = p.getParent(); a != null && !a.equals(root); a = a.getParent()) {
            if (Files.isSymbolicLink(a)) {
                throw new UnsafeEntryException(path, "path passes through a symbolic link");
            }
        }
        if (Files.exists(p, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new UnsafeEntryException(path, "entry written twice");
        }
        return p;
    }
}
