package org.veripack.core.internal.cms;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** The bytes a detached CMS signature covers, opened as a fresh stream on each call. */
@FunctionalInterface
public interface SignedContent {
    /** Size of the blocks {@link #writeTo} reads, in bytes. */
    int BUFFER_BYTES = 1 << 18;

    /** @return a fresh stream over the content, from its first byte */
    InputStream open() throws IOException;

    /**
     * Writes the whole content, in order, to {@code out} (the verifier's digests); a source that can hand
     * over its own buffers overrides this to skip a copy. {@code out} must not keep the arrays it is given.
     *
     * @return the number of bytes written
     * @throws IOException when the content cannot be read
     */
    default long writeTo(OutputStream out) throws IOException {
        long count = 0;
        try (InputStream in = open()) {
            byte[] buf = new byte[BUFFER_BYTES];
            int n;
            while ((n = in.read(buf)) != -1) {
                out.write(buf, 0, n);
                count += n;
            }
        }
        return count;
    }
}
