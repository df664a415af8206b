package org.veripack.core.internal.cms;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.veripack.core.internal.io.Streams;

/** The bytes a detached CMS signature covers, opened as a fresh stream on each call. */
@FunctionalInterface
public interface SignedContent {
    /** @return a fresh stream over the content, from its first byte */
    InputStream open() throws IOException;

    /**
     * Writes the whole content, in order, to {@code out} (the verifier's digests), through
     * {@link Streams#transfer} (a read-ahead stream hands over its own buffers). {@code out} must not keep
     * the arrays it is given.
     *
     * @return the number of bytes written
     * @throws IOException when the content cannot be read
     */
    default long writeTo(OutputStream out) throws IOException {
        try (InputStream in = open()) {
            return Streams.transfer(in, out);
        }
    }
}
