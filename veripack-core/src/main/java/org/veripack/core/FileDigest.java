package org.veripack.core;

import java.io.IOException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.veripack.core.internal.csar.Digests;

/**
 * The digest of one file's bytes, read once through the JDK's {@link java.security.MessageDigest}: the one way
 * Veripack hashes a file outside a package (the node's re-verification of an installed slot, the evidence digest
 * of a whole package file). The file is read on the calling thread with positional reads into a small direct
 * buffer handed to the digest as it is ({@code ChannelDigest}; docs/reference.md "Performance").
 */
public final class FileDigest {
    private FileDigest() { }

    /**
     * Hashes {@code file}.
     *
     * @param file         the file to read
     * @param jcaAlgorithm a JCA digest name the JDK provides, e.g. {@code SHA-256} (FIPS 180-4)
     * @param options      {@link LinkOption#NOFOLLOW_LINKS} refuses a symbolic link: opening it fails
     * @return the digest, lower-case hex
     * @throws IOException when the file cannot be opened or read (a refused link included), or the JDK lacks
     *                     {@code jcaAlgorithm}
     */
    public static String hex(Path file, String jcaAlgorithm, LinkOption... options) throws IOException {
        return Digests.fileHex(file, jcaAlgorithm, ProgressListener.NONE, options);
    }
}
