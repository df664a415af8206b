package org.veripack.core;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Receives a package's artifacts while the verifier hashes them, so an installer writes exactly the
 * bytes that were hashed in the same single pass (no verify-then-reread, no TOCTOU; docs/architecture.md
 * data flow). The verifier calls the sink only with normalised, safe relative paths (no absolute
 * path, no {@code ..}, no setuid/setgid/sticky bits, no path through a symlink of the package, symlink
 * targets that resolve inside the package against its link graph), with the signed type and mode, and only
 * after the manifest signature has verified. What the sink received is untrusted until
 * {@link PackageVerifier#verifyAndExtract} returns a {@link VerifiedPackage}: on rejection the caller
 * discards everything the sink wrote.
 */
public interface ArtifactSink {
    /**
     * Creates directory {@code path} (parents are announced first). Directories are the ancestors of the
     * artifact paths, derived by the verifier (mode 0755), never zip directory entries.
     */
    void directory(String path, int mode) throws IOException;

    /**
     * Opens the destination for a regular file. The verifier writes the content bytes, in order, as it
     * hashes them, then closes the stream. The arrays given to {@code write} are the verifier's read
     * buffers, refilled after each call returns: the stream must copy any bytes it keeps.
     *
     * @param path      safe relative path
     * @param mode      signed permission bits 0..0777 ({@link ArtifactRecord#mode()})
     * @param sizeBytes size declared by the archive (already checked against the policy limits), or -1 for an
     *                  external artifact being downloaded (its size is known at the end); the bytes actually
     *                  written are counted and checked by the verifier
     */
    OutputStream file(String path, int mode, long sizeBytes) throws IOException;

    /** Creates a symbolic link {@code path -> target}; {@code target} is relative and resolves inside the package. */
    void symlink(String path, String target) throws IOException;

    /**
     * Private directory where the verifier may spool bytes it must read twice before the verdict (the
     * inner CSAR of SOL004 option 2, 0600 file, deleted before the call returns), so an installer keeps
     * every write under its staging directory (docs/node.md "Install sequence"). Null: the JVM's temporary
     * directory (plain verification).
     */
    default java.nio.file.Path scratchDirectory() {
        return null;
    }

    /** A sink that stores nothing (plain verification). */
    ArtifactSink DISCARD = new ArtifactSink() {
        @Override public void directory(String path, int mode) { }
        @Override public OutputStream file(String path, int mode, long sizeBytes) { return OutputStream.nullOutputStream(); }
        @Override public void symlink(String path, String target) { }
    };
}
