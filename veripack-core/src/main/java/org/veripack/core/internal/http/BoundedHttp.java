package org.veripack.core.internal.http;

import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.veripack.core.ArtifactFetcher;

/**
 * The one bounded HTTP exchange (revocation data, external artifacts): the JDK {@link HttpClient} (HTTP/1.1, no redirects),
 * a connect timeout, a bound on every wait (for the response headers and for each next piece of the body), a
 * bound on the whole exchange, and a bound on the body size. The body is pulled one piece at a time (the JDK
 * delivers buffers of about 16 KiB), so a slow or endless server costs neither memory nor more time than the bounds.
 */
public final class BoundedHttp {
    private static final Object END = new Object();

    private final Duration connectTimeout;
    /**
     * Created on the first exchange: a JDK {@link HttpClient} costs about 0.1 s to build (TLS context) and
     * keeps a selector thread in native code that delays JVM exit by up to 0.3 s (HotSpot's VM_Exit waits
     * for threads in native), so a verification that needs no network never creates one.
     */
    private HttpClient client;

    public BoundedHttp(Duration connectTimeout) {
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
    }

    private synchronized HttpClient client() {
        if (client == null) {
            client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).followRedirects(HttpClient.Redirect.NEVER).connectTimeout(connectTimeout).build();
        }
        return client;
    }

    /**
     * Sends {@code request} and streams a 200 response's body into {@code out}.
     *
     * @param read     longest wait for the response headers and for each next piece of the body
     * @param total    longest time for the whole exchange, from now
     * @param maxBytes largest body accepted
     * @return the number of body bytes written
     * @throws ArtifactFetcher.BoundExceededException when {@code maxBytes} is crossed; {@link ArtifactFetcher.TooSlowException}
     *                                                when {@code read} or {@code total} is
     * @throws ArtifactFetcher.NotFoundException on a 404 or 410 status
     * @throws IOException on connection failure (the connect timeout included), a status other than 200, a body
     *                     cut short, or a failure of {@code out}
     */
    public long exchange(HttpRequest.Builder request, Duration read, Duration total, long maxBytes, OutputStream out)
            throws IOException {
        HttpClient http = client(); // built before the clock starts: building it is not the server's time
        long deadline = System.nanoTime() + total.toNanos();
        BlockingQueue<Object> pieces = new LinkedBlockingQueue<>();
        AtomicReference<Flow.Subscription> subscription = new AtomicReference<>();
        HttpResponse.BodyHandler<Void> handler = info -> new HttpResponse.BodySubscriber<>() {
            @Override public CompletionStage<Void> getBody() { return CompletableFuture.completedFuture(null); }
            @Override public void onSubscribe(Flow.Subscription s) {
                subscription.set(s);
                s.request(1);
            }
            @Override public void onNext(List<ByteBuffer> item) { pieces.add(item); }
            @Override public void onError(Throwable t) { pieces.add(t); }
            @Override public void onComplete() { pieces.add(END); }
        };
        Duration headers = read.compareTo(total) < 0 ? read : total;
        CompletableFuture<HttpResponse<Void>> sent = http.sendAsync(request.timeout(headers).build(), handler);
        boolean done = false;
        try {
            HttpResponse<Void> response = awaitResponse(sent, deadline, total);
            if (response.statusCode() == 404 || response.statusCode() == 410) {
                throw new ArtifactFetcher.NotFoundException("HTTP " + response.statusCode() + " from " + response.uri());
            }
            if (response.statusCode() != 200) {
                throw new IOException("HTTP " + response.statusCode() + " from " + response.uri());
            }
            long n = 0;
            byte[] copy = null;
            while (true) {
                long left = deadline - System.nanoTime();
                Object piece = left <= 0 ? null : pieces.poll(Math.min(read.toNanos(), left), TimeUnit.NANOSECONDS);
                if (piece == null) {
                    throw new ArtifactFetcher.TooSlowException(deadline - System.nanoTime() <= 0
                            ? "download from " + response.uri() + " not complete within " + total.toSeconds() + " s (" + n + " bytes received)"
                            : "no data from " + response.uri() + " for " + read.toSeconds() + " s (" + n + " bytes received)");
                }
                if (piece == END) {
                    done = true;
                    return n;
                }
                if (piece instanceof Throwable t) {
                    done = true;
                    throw t instanceof IOException io ? io : new IOException("download from " + response.uri() + " failed: " + t, t);
                }
                @SuppressWarnings("unchecked")
                List<ByteBuffer> buffers = (List<ByteBuffer>) piece;
                for (ByteBuffer bb : buffers) {
                    int len = bb.remaining();
                    if (n + len > maxBytes) {
                        throw new ArtifactFetcher.BoundExceededException("response from " + response.uri() + " larger than "
                                + maxBytes + " bytes");
                    }
                    if (bb.hasArray()) {
                        out.write(bb.array(), bb.arrayOffset() + bb.position(), len);
                    } else {
                        copy = copy == null || copy.length < len ? new byte[len] : copy;
                        bb.get(copy, 0, len);
                        out.write(copy, 0, len);
                    }
                    n += len;
                }
                subscription.get().request(1);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            if (!done) {
                Flow.Subscription s = subscription.get();
                if (s != null) {
                    s.cancel(); // closes the connection: the server's remaining bytes are never read
                }
                sent.cancel(true);
            }
        }
    }

    private static HttpResponse<Void> awaitResponse(CompletableFuture<HttpResponse<Void>> sent, long deadline, Duration total)
            throws IOException, InterruptedException {
        try {
            return sent.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new ArtifactFetcher.TooSlowException("no response within " + total.toSeconds() + " s");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof HttpConnectTimeoutException t) {
                throw new IOException("connect timed out: " + t.getMessage(), t);
            }
            if (c instanceof HttpTimeoutException t) {
                throw new ArtifactFetcher.TooSlowException("no response: " + t.getMessage());
            }
            throw c instanceof IOException io ? io : new IOException(String.valueOf(c), c);
        }
    }
}
