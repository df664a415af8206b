package org.veripack.core.trust;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.veripack.core.pki.TestPki;
import org.veripack.core.sign.CsarSigner;
import org.veripack.core.sign.SigningIdentity;

/** Package directories, CSAR signing and small HTTP peers shared by the trust tests. */
final class TrustFixtures {
    private TrustFixtures() { }

    /** A tiny package directory (an executable and a config). */
    static Path packageDir(Path parent) throws IOException {
        Path dir = Files.createDirectories(parent.resolve("pkg-" + System.nanoTime()));
        Files.createDirectories(dir.resolve("Files/bin"));
        Files.writeString(dir.resolve("Files/bin/mmed"), "#!/bin/sh\necho mme\n");
        Files.writeString(dir.resolve("Files/mme.conf"), "plmn: 00101\n");
        return dir;
    }

    /** Signs {@link #packageDir} as an option-1 CSAR {@code acme-mme 1.0}. */
    static Path csar(Path parent, SigningIdentity id, Clock clock, CsarSigner.Builder... custom) throws IOException {
        Path out = parent.resolve("acme-" + System.nanoTime() + ".csar");
        CsarSigner.Builder b = custom.length > 0 ? custom[0] : CsarSigner.builder(id);
        b.name("acme-mme").version("1.0").clock(clock).build().writeOption1(packageDir(parent), out);
        return out;
    }

    /** A port on 127.0.0.1 nobody listens on (bound, then released). */
    static int deadPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** A JDK HTTP server on 127.0.0.1 serving {@code body.get()} at every path; counts requests. */
    static final class BytesServer implements AutoCloseable {
        final HttpServer server;
        final AtomicInteger hits = new AtomicInteger();

        BytesServer(Supplier<byte[]> body) throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", ex -> {
                hits.incrementAndGet();
                byte[] b = body.get();
                ex.getRequestBody().readAllBytes();
                ex.sendResponseHeaders(200, b.length);
                try (OutputStream o = ex.getResponseBody()) {
                    o.write(b);
                }
            });
            server.start();
        }

        String url(String path) {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + path;
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

}
