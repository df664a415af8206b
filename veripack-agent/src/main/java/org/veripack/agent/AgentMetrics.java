package org.veripack.agent;

import com.sun.net.httpserver.HttpExchange;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The agent's Prometheus metrics (docs/reference.md "Agent metrics"; the alert rules in
 * {@code dist/prometheus/veripack.rules.yml} read them), served by the Prometheus Java client's HTTP server on
 * {@code /metrics}, with {@code /healthz} (200 {@code ok} while the agent's scheduler runs, else 503). Times are Unix
 * seconds, as Prometheus' {@code time()}. Thread safety: every method may be called from any thread.
 */
public final class AgentMetrics implements AutoCloseable {
    /** The {@code result} label values of {@code veripack_updates_total}. */
    public static final List<String> UPDATE_RESULTS = List.of("installed", "up_to_date", "rejected", "refused", "unreachable",
            "failed", "health_failed", "skipped_failed_version");

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Info active;
    private final Gauge checkTime;
    private final Gauge checkDuration;
    private final Gauge intact;
    private final Counter integrityFailures;
    private final Counter updates;
    private final Counter rollbacks;
    private final Gauge pollTime;
    private final Gauge expiry;
    private final Gauge behind;
    private final Gauge behindSince;
    private volatile AuditExport export;
    private String[] activeLabels;
    private HTTPServer server;

    public AgentMetrics() {
        active = Info.builder().name("veripack_active_package").help("the package version the node runs (current slot)")
                .labelNames("package", "version", "slot").register(registry);
        checkTime = Gauge.builder().name("veripack_integrity_check_timestamp_seconds")
                .help("when verify-installed of the active slot last ran").register(registry);
        checkDuration = Gauge.builder().name("veripack_integrity_check_duration_seconds")
                .help("wall time of the last verify-installed of the active slot (re-verification of the sealed signature and re-hash of every installed file)")
                .register(registry);
        intact = Gauge.builder().name("veripack_integrity_intact")
                .help("1 when the last verify-installed found the active slot intact, 0 when it found INSTALLATION_TAMPERED").register(registry);
        integrityFailures = Counter.builder().name("veripack_integrity_failures_total")
                .help("verify-installed runs that found the active slot changed (INSTALLATION_TAMPERED)").register(registry);
        updates = Counter.builder().name("veripack_updates_total").help("repository polls by result")
                .labelNames("result").register(registry);
        UPDATE_RESULTS.forEach(updates::initLabelValues);
        rollbacks = Counter.builder().name("veripack_rollbacks_total")
                .help("automatic rollbacks after a failed health check").register(registry);
        pollTime = Gauge.builder().name("veripack_update_poll_timestamp_seconds")
                .help("when the agent last polled the repository").register(registry);
        expiry = Gauge.builder().name("veripack_repository_metadata_expiry_timestamp_seconds")
                .help("when the node's trusted repository metadata expires, per TUF role").labelNames("role").register(registry);
        behind = Gauge.builder().name("veripack_versions_behind")
                .help("approved versions of the node's package newer than the active one").register(registry);
        behindSince = Gauge.builder().name("veripack_behind_since_timestamp_seconds")
                .help("since when the repository has had a newer approved version than the active one; 0 when up to date").register(registry);
        CounterWithCallback.builder().name("veripack_audit_export_dropped_total")
                .help("audit lines not sent to syslog (queue full, or pending at shutdown); the audit log has them")
                .callback(cb -> { AuditExport e = export; cb.call(e == null ? 0 : e.dropped()); }).register(registry);
        CounterWithCallback.builder().name("veripack_audit_export_sent_total")
                .help("audit lines sent to syslog")
                .callback(cb -> { AuditExport e = export; cb.call(e == null ? 0 : e.sent()); }).register(registry);
    }

    /** The registry the server exposes (tests read it directly). */
    public PrometheusRegistry registry() { return registry; }

    /** The export whose counters are exposed (null: none configured); replaced when the configuration is reloaded. */
    public void export(AuditExport export) { this.export = export; }

    /** The active version: one series, or none when nothing is installed. */
    public synchronized void active(String packageName, String version, String slot) {
        if (activeLabels != null) {
            active.remove(activeLabels);
            activeLabels = null;
        }
        if (packageName != null) {
            activeLabels = new String[] {packageName, version == null ? "" : version, slot == null ? "" : slot};
            active.addLabelValues(activeLabels);
        }
    }

    /** A verify-installed of the active slot ran at {@code at} and took {@code took} (wall time). */
    public void integrityChecked(Instant at, Duration took, boolean wasIntact) {
        checkTime.set(seconds(at));
        checkDuration.set(took.toNanos() / 1e9);
        intact.set(wasIntact ? 1 : 0);
        if (!wasIntact) {
            integrityFailures.inc();
        }
    }

    /** One poll ended with {@code result} (one of {@link #UPDATE_RESULTS}). */
    public void update(Instant at, String result) {
        if (!UPDATE_RESULTS.contains(result)) {
            throw new IllegalArgumentException("unknown update result " + result);
        }
        pollTime.set(seconds(at));
        updates.labelValues(result).inc();
    }

    /** An automatic rollback. */
    public void rolledBack() { rollbacks.inc(); }

    /** Expiry of the node's trusted metadata, role → instant. */
    public void repositoryExpiry(Map<String, Instant> expires) {
        expiry.clear();
        expires.forEach((role, at) -> expiry.labelValues(role).set(seconds(at)));
    }

    /** How far the node is behind the repository ({@code since} null when up to date). */
    public void behind(int versions, Instant since) {
        behind.set(versions);
        behindSince.set(since == null ? 0 : seconds(since));
    }

    /**
     * Starts the HTTP server: {@code /metrics} (Prometheus text or OpenMetrics, as the scraper asks) and
     * {@code /healthz}.
     *
     * @throws IOException when the address cannot be bound
     */
    public synchronized void serve(InetSocketAddress address, BooleanSupplier healthy) throws IOException {
        close();
        server = HTTPServer.builder().inetAddress(address.getAddress()).port(address.getPort()).registry(registry)
                .registerHealthHandler(false)
                .defaultHandler(exchange -> healthz(exchange, healthy)).buildAndStart();
    }

    /** The bound port (after {@link #serve}), e.g. when the configuration asked for port 0. */
    public synchronized int port() {
        return server == null ? -1 : server.getPort();
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    private static void healthz(HttpExchange exchange, BooleanSupplier healthy) throws IOException {
        try (exchange) {
            int status;
            String body;
            if (!exchange.getRequestURI().getPath().equals("/healthz")) {
                status = 404;
                body = "not found: /metrics, /healthz\n";
            } else if (healthy.getAsBoolean()) {
                status = 200;
                body = "ok\n";
            } else {
                status = 503;
                body = "agent scheduler not running\n";
            }
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(status, b.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(b);
            }
        }
    }

    private static double seconds(Instant at) {
        return at.getEpochSecond() + at.getNano() / 1e9;
    }
}
