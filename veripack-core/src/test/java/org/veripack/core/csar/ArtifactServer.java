package org.veripack.core.csar;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP server on 127.0.0.1 (the JDK's {@code com.sun.net.httpserver}) serving external artifacts the way
 * real and hostile servers do: the right bytes, other bytes, an endless body, a body dripped one byte at a time,
 * headers and then silence, a 404, a body shorter than its Content-Length. Counts requests per path.
 */
public final class ArtifactServer implements AutoCloseable {
    /** What a path serves. */
    public enum Behaviour { BYTES, ENDLESS, DRIP, SILENT, NOT_FOUND, SHORT }

    private record Route(Behaviour behaviour, byte[] body) { }

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "artifact-server");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Route> routes = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public ArtifactServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Serves {@code body} at {@code path} ({@link Behaviour#BYTES}); returns the URL. */
    public String serve(String path, byte[] body) {
        return route(path, Behaviour.BYTES, body);
    }

    /** Serves {@code path} as {@code behaviour}; {@code body} is what BYTES and SHORT send. Returns the URL. */
    public String route(String path, Behaviour behaviour, byte[] body) {
        routes.put("/" + path, new Route(behaviour, body));
        return url(path);
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + path;
    }

    /** Requests received for {@code path}. */
    public int hits(String path) {
        AtomicInteger n = hits.get("/" + path);
        return n == null ? 0 : n.get();
    }

    /** Requests received for every path. */
    public int totalHits() {
        return hits.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        Route r = routes.get(path);
        try {
            if (r == null || r.behaviour() == Behaviour.NOT_FOUND) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            OutputStream out = ex.getResponseBody();
            switch (r.behaviour()) {
                case BYTES -> {
                    ex.sendResponseHeaders(200, r.body().length);
                    out.write(r.body());
                }
                case SHORT -> {
                    ex.sendResponseHeaders(200, r.body().length + 1000L);
                    out.write(r.body());
                    out.flush();
                    // the connection closes with 1000 announced bytes never sent
                }
                case ENDLESS -> {
                    ex.sendResponseHeaders(200, 0); // chunked, never ends
                    byte[] chunk = new byte[64 * 1024];
                    while (!closed) {
                        out.write(chunk);
                    }
                }
                case DRIP -> {
                    ex.sendResponseHeaders(200, 0);
                    while (!closed) {
                        out.write('x');
                        out.flush();
                        Thread.sleep(100);
                    }
                }
                case SILENT -> {
                    ex.sendResponseHeaders(200, 0);
                    out.flush();
                    while (!closed) {
                        Thread.sleep(100);
                    }
                }
                default -> throw new IllegalStateException();
            }
        } catch (IOException | InterruptedException e) {
            // the client went away (what a bounded download does to an endless or slow server)
        } finally {
            ex.close();
        }
    }

    @Override
    public void close() {
        closed = true;
        server.stop(0);
        threads.shutdownNow();
    }
}
