package org.veripack.core;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import org.veripack.core.internal.http.HttpArtifactFetcher;

/**
 * Where the bytes of external artifacts come from (a manifest {@code Source} that is a URI, SOL004 §4.3.3), when
 * the trust policy says {@code externalArtifacts: fetch}. Like {@link RevocationSource} it is injected, so tests
 * are exact; it is trusted for nothing but availability: the verifier hashes every byte it is given against the
 * signed digest. The verifier decides which URIs may be fetched (scheme, {@code externalArtifactHttpHosts}) before
 * it calls the fetcher, and calls it only for a package whose manifest signature verified.
 *
 * <p>{@link #http(TrustPolicy.FetchTimeouts)} is the network fetcher; {@link #offline()} has nothing.
 */
public interface ArtifactFetcher {
    /**
     * Streams the artifact's bytes, in order, into {@code out} (the verifier's digest, and the slot's file when
     * installing), at most {@code maxBytes} of them.
     *
     * @param uri      the URI as the signed manifest names it
     * @param maxBytes largest body accepted, in bytes (the remainder of the policy's {@code limits.maxTotalBytes})
     * @param out      where the bytes go; it must not be closed by the fetcher
     * @return the number of bytes written
     * @throws BoundExceededException when the body is larger than {@code maxBytes} or a time bound passes
     *                                ({@link FindingCode#LIMIT_EXCEEDED}; what was written is discarded)
     * @throws NotFoundException      when the server answers 404 or 410 (an {@link IOException} like the others)
     * @throws IOException            when the artifact cannot be had (unreachable, HTTP status other than 200,
     *                                connection closed early; {@link FindingCode#ARTIFACT_MISSING}), or {@code out}
     *                                failed (then the I/O error is the caller's, e.g. disk full)
     */
    long fetch(URI uri, long maxBytes, OutputStream out) throws IOException;

    /**
     * As {@link #fetch(URI, long, OutputStream)}, the whole exchange also bounded by {@code total} (the smaller of it
     * and the fetcher's own total applies): a caller that knows how large the file may be bounds a small file by a
     * short time. A fetcher without time bounds ({@link #offline()}, a test's) ignores it.
     *
     * @throws TooSlowException when the time bound is crossed
     */
    default long fetch(URI uri, long maxBytes, java.time.Duration total, OutputStream out) throws IOException {
        return fetch(uri, maxBytes, out);
    }

    /** A size or time bound crossed while fetching: the download was abandoned. */
    class BoundExceededException extends IOException {
        private static final long serialVersionUID = 1L;

        public BoundExceededException(String message) { super(message); }
    }

    /**
     * A time bound crossed while fetching (no response or no next byte within the read bound, the exchange not complete
     * within its total): the server is too slow, the download was abandoned.
     */
    final class TooSlowException extends BoundExceededException {
        private static final long serialVersionUID = 1L;

        public TooSlowException(String message) { super(message); }
    }

    /**
     * The network fetcher: the JDK HTTP client (HTTP/1.1, no redirects: the signed URI is the one fetched, TLS
     * server authentication against the JDK's default trust store), {@code http} and {@code https} only, bounded by
     * {@code timeouts} ({@link TrustPolicy.FetchTimeouts}: connect; response headers and each wait for body bytes;
     * the whole exchange) and by {@code maxBytes}; reads ahead at most a few buffers of the body.
     */
    static ArtifactFetcher http(TrustPolicy.FetchTimeouts timeouts) {
        return new HttpArtifactFetcher(timeouts);
    }

    /**
     * The server answered that the resource does not exist (HTTP 404 or 410; for a directory, no such file): a
     * definite answer, unlike an unreachable server. A TUF client ends its root-chain walk on it (TUF §5.3.3).
     */
    final class NotFoundException extends IOException {
        private static final long serialVersionUID = 1L;

        public NotFoundException(String message) { super(message); }
    }

    /** A fetcher that never has anything (every call throws {@link IOException}). */
    static ArtifactFetcher offline() {
        return (uri, maxBytes, out) -> {
            throw new IOException("offline: no download of " + uri);
        };
    }
}
