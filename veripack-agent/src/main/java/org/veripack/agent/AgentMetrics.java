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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The agent's Prometheus metrics (docs/reference.md "Agent metrics"; the alert rules in
 * {@code dist/prometheus/veripack.rules.yml} read them), served by the Prometheus Java client's HTTP server on
 * {@code /metrics}, with {@code /healthz} (200 {@code ok} while the agent's scheduler runs, else 503). Times are Unix
 * seconds, as Prometheus' {@code time()}. Thread safety: every method may be called from any thread.
 *
 * <p>The server is exposed to whatever can reach its address, so it is bounded against slow clients (docs/reference.md
 * "Agent metrics"): {@value #THREADS} worker threads (a client that sends its request slowly holds one), the JDK
 * server closes a connection whose request is not read within {@value #MAX_REQUEST_SECONDS} s or whose response is not
 * taken within {@value #MAX_RESPONSE_SECONDS} s, and what the exporter logs (a client gone mid-response) becomes one
 * line in the agent's log, without a stack trace.
 */
public final class AgentMetrics implements AutoCloseable {
    /** Worker threads of the metrics server. */
    static final int THREADS = 32;
    /** {@code sun.net.httpserver.maxReqTime}: seconds from a connection's start to its complete request headers. */
    static final int MAX_REQUEST_SECONDS = 5;
    /** {@code sun.net.httpserver.maxRspTime}: seconds to send a response. */
    static final int MAX_RESPONSE_SECONDS = 30;
    /** The exporter's java.util.logging logger (its HttpExchangeAdapter's package); held so its configuration stays. */
    private static final Logger EXPORTER_LOG = Logger.getLogger("io.prometheus.metrics.exporter.httpserver");
    private static volatile Consumer<String> serverLog = line -> { };

    static {
        // The JDK server reads these once, when its first server is created in this JVM; the Prometheus HTTPServer
        // sets its own (60 s, 600 s) when absent, so they are set here, before it loads. An operator's -D wins.
        System.getProperties().putIfAbsent("sun.net.httpserver.maxReqTime", Integer.toString(MAX_REQUEST_SECONDS));
        System.getProperties().putIfAbsent("sun.net.httpserver.maxRspTime", Integer.toString(MAX_RESPONSE_SECONDS));
        System.getProperties().putIfAbsent("sun.net.httpserver.idleInterval", "30");
        System.getProperties().putIfAbsent("sun.net.httpserver.maxIdleConnections", "32");
        EXPORTER_LOG.setUseParentHandlers(false);
        EXPORTER_LOG.addHandler(new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                    Throwable t = r.getThrown();
                    serverLog.accept("metrics server: " + r.getMessage() + (t == null ? "" : " " + t));
                }
            }

            @Override public void flush() { }
            @Override public void close() { }
        });
    }

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
    private ExecutorService workers;

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
     * @param log where the server's own problems go, one line each (e.g. a client that closed mid-response)
     * @throws IOException when the address cannot be bound
     */
    public synchronized void serve(InetSocketAddress address, BooleanSupplier healthy, Consumer<String> log) throws IOException {
        close();
        serverLog = log;
        AtomicInteger n = new AtomicInteger();
        // a fixed pool: a slow client holds one thread until the JDK server's maxReqTime closes its connection; the
        // others wait in the queue (bounded by the connections the server accepted)
        workers = new ThreadPoolExecutor(THREADS, THREADS, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "veripack-metrics-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            server = HTTPServer.builder().inetAddress(address.getAddress()).port(address.getPort()).registry(registry)
                    .registerHealthHandler(false).executorService(workers)
                    .defaultHandler(exchange -> healthz(exchange, healthy)).buildAndStart();
        } catch (IOException | RuntimeException e) {
            workers.shutdownNow();
            workers = null;
            throw e;
        }
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
        if (workers != null) {
            workers.shutdownNow();
            workers = null;
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
