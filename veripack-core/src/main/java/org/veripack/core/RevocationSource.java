package org.veripack.core;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.veripack.core.internal.revocation.HttpRevocationSource;

/**
 * Where revocation data comes from (revocation data is injected, so tests are exact). The verifier asks
 * it for raw bytes only and checks every answer itself (CRLs: RFC 5280 §6.3 by Bouncy Castle's PKIX CRL
 * checker, signature, scope and freshness; OCSP: response signature, responder, nonce and freshness), so
 * a source is trusted for nothing but availability. Implementations must bound what they read.
 *
 * <p>{@link #http(Duration, long, Path)} is the network source used by the CLI and the node;
 * {@link #offline()} answers nothing (every fetch fails), which makes {@code revocation: require}
 * reject with {@link FindingCode#REVOCATION_UNKNOWN} unless the policy's {@code crls:} answer.
 */
public interface RevocationSource {
    /**
     * Fetches a CRL (RFC 5280 §5) from a CRL distribution point.
     *
     * @param uri the {@code http} distribution point URI from the certificate
     * @return the CRL bytes (DER or PEM) as served, unverified
     * @throws IOException when it cannot be had (unreachable, timeout, too large, HTTP error)
     */
    byte[] fetchCrl(URI uri) throws IOException;

    /**
     * Sends one OCSP request (RFC 6960 Appendix A.1, HTTP POST {@code application/ocsp-request}).
     *
     * @param responder the responder URL
     * @param request   DER OCSPRequest
     * @return the DER OCSPResponse as served, unverified
     * @throws IOException when no response can be had
     */
    byte[] ocsp(URI responder, byte[] request) throws IOException;

    /** A source that never answers (every call throws {@link IOException}). */
    static RevocationSource offline() {
        return new RevocationSource() {
            @Override public byte[] fetchCrl(URI uri) throws IOException {
                throw new IOException("offline: no CRL fetch from " + uri);
            }

            @Override public byte[] ocsp(URI responder, byte[] request) throws IOException {
                throw new IOException("offline: no OCSP request to " + responder);
            }
        };
    }

    /**
     * HTTP source: {@code http}/{@code https} only, each exchange bounded by {@code timeout} (connect and
     * whole response) and {@code maxBytes}; fetched CRLs are cached in {@code cacheDir} (file name = SHA-256 of
     * the URI, written by temp file + atomic rename) and served from there when a later fetch fails.
     *
     * @param timeout  per-exchange time bound
     * @param maxBytes largest response accepted
     * @param cacheDir CRL cache directory (created when missing), or null for no cache
     */
    static RevocationSource http(Duration timeout, long maxBytes, Path cacheDir) {
        return new HttpRevocationSource(timeout, maxBytes, cacheDir);
    }

    /** {@link #http(Duration, long, Path)} with 10 s, 10 MiB and no cache. */
    static RevocationSource http() {
        return http(Duration.ofSeconds(10), 10L << 20, null);
    }
}
