package org.veripack.cli;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real nginx (Debian {@code nginx-light}; {@code .ci/run} installs it) serving a directory on a free 127.0.0.1 port,
 * with its own configuration, prefix and logs in a temporary directory, in the foreground so its PID is the
 * process's, stopped by that PID (SIGTERM: nginx's fast shutdown). Tests using it skip, saying why, only when
 * nginx is not installed. The access log records, per request, the path, status and bytes sent (headers and body).
 */
final class Nginx implements AutoCloseable {
    private static final Path BINARY = Path.of("/usr/sbin/nginx");

    private final Process process;
    private final int port;
    private final Path accessLog;
    private final Path errorLog;
    private int seen;

    private Nginx(Process process, int port, Path prefix) {
        this.process = process;
        this.port = port;
        this.accessLog = prefix.resolve("access.log");
        this.errorLog = prefix.resolve("error.log");
    }

    /**
     * Serves {@code root} (made readable to nginx's worker: as root, nginx runs its worker as {@code nobody}) with
     * nginx's state under {@code prefix}.
     */
    static Nginx serve(Path root, Path prefix) throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(BINARY) || AuthorizedInstallersTest.onPath("nginx"),
                "nginx is not installed: the nginx-served repository test needs it (apt-get install nginx-light)");
        String nginx = Files.isExecutable(BINARY) ? BINARY.toString() : "nginx";
        Files.createDirectories(prefix.resolve("logs"));
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path conf = prefix.resolve("nginx.conf");
        Files.writeString(conf, String.join("\n",
                "worker_processes 1;",
                "pid " + prefix.resolve("nginx.pid") + ";",
                "error_log " + prefix.resolve("error.log") + " warn;",
                "events { worker_connections 512; }",
                "http {",
                "  log_format bytes '$request_uri $status $bytes_sent';",
                "  access_log " + prefix.resolve("access.log") + " bytes;",
                "  default_type application/octet-stream;",
                "  types { application/json json; }",
                "  server {",
                "    listen 127.0.0.1:" + port + ";",
                "    root " + root.toAbsolutePath() + ";",
                "    location / { }",
                "  }",
                "}", ""), StandardCharsets.UTF_8);
        Process p = new ProcessBuilder(List.of(nginx, "-p", prefix.toString(), "-c", conf.toString(), "-e",
                prefix.resolve("error.log").toString(), "-g", "daemon off;"))
                .redirectErrorStream(true).redirectOutput(prefix.resolve("stdout.log").toFile()).start();
        Nginx n = new Nginx(p, port, prefix);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return n;
            } catch (IOException notYet) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    n.close();
                    throw new IOException("nginx did not start: " + Files.readString(prefix.resolve("stdout.log"))
                            + (Files.exists(n.errorLog) ? Files.readString(n.errorLog) : ""));
                }
                Thread.sleep(50);
            }
        }
    }

    String url() {
        return "http://127.0.0.1:" + port + "/";
    }

    long pid() {
        return process.pid();
    }

    /** The access log's lines since the last call: {@code path status bytes-sent} (headers and body). */
    List<String> takeAccessLog() throws IOException, InterruptedException {
        Thread.sleep(200); // nginx writes a request's line once the response is sent
        List<String> lines = Files.exists(accessLog) ? Files.readAllLines(accessLog) : List.of();
        List<String> out = List.copyOf(lines.subList(Math.min(seen, lines.size()), lines.size()));
        seen = lines.size();
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy(); // SIGTERM to the master's PID
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
