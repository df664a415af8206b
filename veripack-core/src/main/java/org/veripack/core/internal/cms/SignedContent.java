package org.veripack.core.internal.cms;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import org.veripack.core.ProgressListener;
import org.veripack.core.internal.io.ChannelDigest;
import org.veripack.core.internal.io.Streams;

/** The bytes a detached CMS signature covers, opened as a fresh stream on each call. */
@FunctionalInterface
public interface SignedContent {
    /** @return a fresh stream over the content, from its first byte */
    InputStream open() throws IOException;

    /**
     * Updates every digest, in order, with the whole content (the verifier's digests): read from {@link #open}
     * through {@link Streams#transfer} (a read-ahead stream hands over its own buffers).
     *
     * @return the number of bytes hashed
     * @throws IOException when the content cannot be read
     */
    default long digest(MessageDigest... digests) throws IOException {
        try (InputStream in = open()) {
            return Streams.transfer(in, Streams.updating(digests));
        }
    }

    /**
     * A file's bytes: hashed through {@link ChannelDigest} (positional reads into a direct buffer handed to the
     * digests as it is), telling {@code progress} the length of each block.
     */
    static SignedContent ofFile(Path file, ProgressListener progress) {
        return new SignedContent() {
            @Override
            public InputStream open() throws IOException {
                return Files.newInputStream(file);
            }

            @Override
            public long digest(MessageDigest... digests) throws IOException {
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                    return ChannelDigest.update(ch, 0, Long.MAX_VALUE,
                            progress == ProgressListener.NONE ? ChannelDigest.BlockCheck.NONE : progress::advance, digests);
                }
            }
        };
    }
}
