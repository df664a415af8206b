package org.veripack.core.internal.revocation;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import org.veripack.core.AtomicFile;
import org.veripack.core.RevocationSource;
import org.veripack.core.internal.http.BoundedHttp;

/**
 * {@link RevocationSource} over HTTP(S) through {@link BoundedHttp} (the JDK client, HTTP/1.1, no redirects):
 * bounded time and size; CRLs cached on disk. See {@link RevocationSource#http(Duration, long, Path)}.
 */
public final class HttpRevocationSource implements RevocationSource {
    private final Duration timeout;
    private final long maxBytes;
    private final Path cacheDir;
    private final BoundedHttp http;

    public HttpRevocationSource(Duration timeout, long maxBytes, Path cacheDir) {
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
        }
        this.maxBytes = maxBytes;
        this.cacheDir = cacheDir;
        this.http = new BoundedHttp(timeout);
    }

    @Override
    public byte[] fetchCrl(URI uri) throws IOException {
        checkScheme(uri);
        try {
            byte[] body = exchange(HttpRequest.newBuilder(uri).GET());
            store(uri, body);
            return body;
        } catch (IOException e) {
            Path cached = cacheFile(uri);
            if (cached != null && Files.isRegularFile(cached) && Files.size(cached) <= maxBytes) {
                return Files.readAllBytes(cached); // the verifier still checks signature and freshness
            }
            throw e;
        }
    }

    @Override
    public byte[] ocsp(URI responder, byte[] request) throws IOException {
        checkScheme(responder);
        return exchange(HttpRequest.newBuilder(responder).header("Content-Type", "application/ocsp-request")
                .POST(HttpRequest.BodyPublishers.ofByteArray(request)));
    }

    /** One exchange within {@code timeout} (connect, and the whole exchange) and {@code maxBytes}. */
    private byte[] exchange(HttpRequest.Builder request) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        http.exchange(request, timeout, timeout, maxBytes, out);
        return out.toByteArray();
    }

    private static void checkScheme(URI uri) throws IOException {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IOException("unsupported revocation URI scheme: " + uri);
        }
    }

    private Path cacheFile(URI uri) {
        if (cacheDir == null) {
            return null;
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(uri.toString().getBytes(StandardCharsets.UTF_8));
            return cacheDir.resolve(HexFormat.of().formatHex(h) + ".crl");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    private void store(URI uri, byte[] body) {
        Path target = cacheFile(uri);
        if (target == null) {
            return;
        }
        try {
            Files.createDirectories(cacheDir);
            AtomicFile.write(target, body);
        } catch (IOException e) {
            // a cache that cannot be written only costs a later fetch
        }
    }
}
