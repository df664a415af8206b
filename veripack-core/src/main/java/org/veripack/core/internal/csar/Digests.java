package org.veripack.core.internal.csar;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import org.veripack.core.ProgressListener;
import org.veripack.core.internal.io.ChannelDigest;

/** JDK {@link MessageDigest} helpers; files are read through {@link ChannelDigest} (docs/reference.md "Performance"). */
public final class Digests {

    private Digests() { }

    /** A fresh digest for a JCA SHA-2 name the caller already validated. */
    public static MessageDigest newDigest(String jcaName) {
        try {
            return MessageDigest.getInstance(jcaName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks " + jcaName, e);
        }
    }

    /** Hex SHA-256 of a file. */
    public static String sha256Hex(Path file) throws IOException {
        return fileHex(file, "SHA-256", ProgressListener.NONE);
    }

    /**
     * Hex digest of a file ({@link org.veripack.core.FileDigest#hex}), read once through {@link ChannelDigest}, telling
     * {@code progress} the bytes of each block hashed (the caller begins and ends the step).
     *
     * @param options {@link LinkOption#NOFOLLOW_LINKS} refuses a symbolic link
     * @throws IOException when the file cannot be read or the JDK lacks {@code jcaName}
     */
    public static String fileHex(Path file, String jcaName, ProgressListener progress, LinkOption... options)
            throws IOException {
        Set<OpenOption> open = new HashSet<>(Arrays.asList(options));
        open.add(StandardOpenOption.READ);
        try (FileChannel ch = FileChannel.open(file, open)) {
            return channelHex(ch, jcaName, progress);
        }
    }

    /**
     * Hex SHA-256 of everything {@code file} holds, read with positional reads (its position is not
     * moved, so other readers of the same channel are undisturbed): the bytes the caller's other checks
     * read through that channel, whatever its path names by now.
     *
     * @throws IOException when the file cannot be read
     */
    public static String sha256Hex(FileChannel file) throws IOException {
        return channelHex(file, "SHA-256", ProgressListener.NONE);
    }

    /** The one body of {@link #fileHex} and {@link #sha256Hex(FileChannel)}: the whole channel through {@link ChannelDigest}. */
    private static String channelHex(FileChannel ch, String jcaName, ProgressListener progress) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance(jcaName);
        } catch (NoSuchAlgorithmException e) {
            throw new IOException("digest algorithm unavailable: " + jcaName, e);
        }
        ChannelDigest.BlockCheck count = progress == ProgressListener.NONE ? ChannelDigest.BlockCheck.NONE : progress::advance;
        ChannelDigest.update(ch, 0, Long.MAX_VALUE, count, md);
        return HexFormat.of().formatHex(md.digest());
    }

    /** Hex of bytes' digest. */
    public static String hex(String jcaName, byte[] bytes) {
        return HexFormat.of().formatHex(newDigest(jcaName).digest(bytes));
    }
}
