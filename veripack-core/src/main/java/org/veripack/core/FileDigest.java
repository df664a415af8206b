package org.veripack.core;

import java.io.IOException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.veripack.core.internal.csar.Digests;
import org.veripack.core.internal.io.PrefetchInputStream;

/**
 * The digest of one file's bytes, read once through the JDK's {@link java.security.MessageDigest} in
 * large blocks: the one way Veripack hashes a file outside a package (the node's re-verification of an
 * installed slot, the evidence digest of a whole package file).
 */
public final class FileDigest {
    /**
     * Files at least this long, in bytes (4 MiB), are worth reading ahead on a second thread when a core is
     * spare; shorter ones are read directly.
     */
    public static final long READ_AHEAD_MIN_BYTES = PrefetchInputStream.MIN_SOURCE_BYTES;

    private FileDigest() { }

    /**
     * Hashes {@code file}.
     *
     * @param file         the file to read
     * @param jcaAlgorithm a JCA digest name the JDK provides, e.g. {@code SHA-256} (FIPS 180-4)
     * @param readAhead    read a file of {@link #READ_AHEAD_MIN_BYTES} or more ahead on a second (daemon)
     *                     thread, so the kernel's copies into the read buffers overlap the hashing (issue
     *                     7: about 10 % of a single large file's time); use it when a core is spare, not
     *                     when several files are hashed at once
     * @param options      {@link LinkOption#NOFOLLOW_LINKS} refuses a symbolic link: opening it fails
     * @return the digest, lower-case hex
     * @throws IOException when the file cannot be opened or read (a refused link included), or the JDK lacks
     *                     {@code jcaAlgorithm}
     */
    public static String hex(Path file, String jcaAlgorithm, boolean readAhead, LinkOption... options) throws IOException {
        return Digests.fileHex(file, jcaAlgorithm, readAhead, options);
    }
}
