package org.veripack.core.internal.http;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import org.veripack.core.ArtifactFetcher;
import org.veripack.core.TrustPolicy;

/** {@link ArtifactFetcher#http(TrustPolicy.FetchTimeouts)}: GET over {@link BoundedHttp}. */
public final class HttpArtifactFetcher implements ArtifactFetcher {
    private final TrustPolicy.FetchTimeouts timeouts;
    private final BoundedHttp http;

    public HttpArtifactFetcher(TrustPolicy.FetchTimeouts timeouts) {
        this.timeouts = Objects.requireNonNull(timeouts, "timeouts");
        this.http = new BoundedHttp(timeouts.connect());
    }

    @Override
    public long fetch(URI uri, long maxBytes, OutputStream out) throws IOException {
        return fetch(uri, maxBytes, timeouts.total(), out);
    }

    @Override
    public long fetch(URI uri, long maxBytes, Duration total, OutputStream out) throws IOException {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IOException("not an http(s) URI: " + uri);
        }
        return http.exchange(HttpRequest.newBuilder(uri).GET(), timeouts.read(), total.compareTo(timeouts.total()) < 0 ? total : timeouts.total(),
                maxBytes, out);
    }
}
