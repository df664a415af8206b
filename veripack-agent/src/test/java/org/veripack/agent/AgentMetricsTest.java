package org.veripack.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The agent's /metrics as Prometheus sees it: scraped over HTTP from the real server and checked by
 * {@code promtool check metrics}; the alert rules unit-tested by {@code promtool test rules}; every metric the rules
 * use is one the agent exposes. promtool comes with Debian's {@code prometheus} ({@code .ci/run} installs it); the
 * promtool tests are skipped, saying so, without it.
 */
class AgentMetricsTest {
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");
    private static final Path RULES = Path.of(System.getProperty("veripack.repo", ".."), "dist", "prometheus");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void metricsScrapeCleanlyWithPromtoolAndCarryTheAgentsState() throws Exception {
        AtomicBoolean healthy = new AtomicBoolean(true);
        try (AgentMetrics m = new AgentMetrics()) {
            m.active("acme-mme", "2.1", "acme-mme-2.1-a");
            m.integrityChecked(Instant.ofEpochSecond(1_700_000_000), Duration.ofMillis(12), false);
            m.update(Instant.ofEpochSecond(1_700_000_100), "installed");
            m.update(Instant.ofEpochSecond(1_700_000_200), "health_failed");
            m.rolledBack();
            m.repositoryExpiry(Map.of("timestamp", Instant.ofEpochSecond(1_700_086_400), "targets", Instant.ofEpochSecond(1_707_776_000)));
            m.behind(1, Instant.ofEpochSecond(1_700_000_150));
            m.serve(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), healthy::get, line -> { });
            String base = "http://127.0.0.1:" + m.port();
            HttpResponse<String> r = get(base + "/metrics");
            assertEquals(200, r.statusCode());
            String text = r.body();
            assertTrue(text.contains("veripack_active_package_info{package=\"acme-mme\",slot=\"acme-mme-2.1-a\",version=\"2.1\"} 1"), text);
            assertTrue(text.contains("veripack_integrity_intact 0.0"), text);
            assertTrue(text.contains("veripack_integrity_failures_total 1.0"), text);
            assertTrue(text.contains("veripack_integrity_check_timestamp_seconds 1.7E9"), text);
            assertTrue(text.contains("veripack_integrity_check_duration_seconds 0.012"), text);
            assertTrue(text.contains("veripack_updates_total{result=\"health_failed\"} 1.0"), text);
            assertTrue(text.contains("veripack_updates_total{result=\"refused\"} 0.0"), "every result from zero: " + text);
            assertTrue(text.contains("veripack_rollbacks_total 1.0"), text);
            assertTrue(text.contains("veripack_repository_metadata_expiry_timestamp_seconds{role=\"timestamp\"} 1.7000864E9"), text);
            assertTrue(text.contains("veripack_versions_behind 1.0"), text);
            assertTrue(text.contains("veripack_audit_export_dropped_total 0.0"), text);
            assertEquals(200, get(base + "/healthz").statusCode());
            healthy.set(false);
            assertEquals(503, get(base + "/healthz").statusCode());
            assertEquals(404, get(base + "/other").statusCode());

            assumeTrue(Files.isExecutable(PROMTOOL), "promtool is not installed (Debian package prometheus; .ci/run installs it)");
            Process p = new ProcessBuilder(PROMTOOL.toString(), "check", "metrics").redirectErrorStream(true).start();
            p.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), "promtool check metrics: " + out);
            assertEquals("", out.trim(), "no lint problem");

            // the rules use only metrics the agent exposes
            TreeSet<String> used = new TreeSet<>();
            Matcher names = Pattern.compile("veripack_[a-z_]+").matcher(Files.readString(RULES.resolve("veripack.rules.yml")));
            while (names.find()) {
                used.add(names.group());
            }
            used.removeIf(n -> text.contains("\n" + n + " ") || text.contains("\n" + n + "{"));
            assertEquals(new TreeSet<>(), used, "metrics the alert rules use but the agent does not expose");
        }
    }

    @Test
    void exporterProblemsBecomeOneLogLineWithoutStackTrace() throws Exception {
        List<String> lines = new ArrayList<>();
        try (AgentMetrics m = new AgentMetrics()) {
            m.serve(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), () -> true, lines::add);
            // what the exporter's HttpExchangeAdapter logs when a client is gone mid-response
            java.util.logging.Logger.getLogger("io.prometheus.metrics.exporter.httpserver.HttpExchangeAdapter").log(java.util.logging.Level.SEVERE,
                    "The Prometheus metrics HTTPServer caught an Exception while trying to send the metrics response.",
                    new IOException("Broken pipe"));
        }
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).endsWith("java.io.IOException: Broken pipe"), lines.get(0));
        assertFalse(lines.get(0).contains("\n"), lines.get(0));
    }

    @Test
    void alertRulesPassTheirPromtoolUnitTests() throws Exception {
        assumeTrue(Files.isExecutable(PROMTOOL), "promtool is not installed (Debian package prometheus; .ci/run installs it)");
        for (String[] args : new String[][] {{"check", "rules", "veripack.rules.yml"}, {"test", "rules", "veripack.rules.test.yml"}}) {
            Process p = new ProcessBuilder(PROMTOOL.toString(), args[0], args[1], args[2]).directory(RULES.toFile())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), "promtool " + String.join(" ", args) + ": " + out);
            assertTrue(out.contains("SUCCESS"), out);
        }
    }

    private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
