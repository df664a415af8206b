package org.veripack.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The agent's configuration file ({@code veripack agent --config AGENT.yaml}; every key in docs/reference.md "Agent
 * configuration keys", an example in docs/guide.md "Run the agent"). Read strictly: an unknown key, a value of the
 * wrong type, a bad duration, window, time zone, address or facility is a {@link ConfigException} naming the key
 * (the CLI prints it as one line and exits 2). Durations are {@code 30s}, {@code 15m}, {@code 1h}, {@code 2d} or
 * ISO-8601 ({@code PT15M}).
 *
 * @param repository        the repository: an http(s) base URL or a directory ({@code repository.url})
 * @param packageName       the package to follow, or null for the node's product ({@code repository.package})
 * @param interval          time between polls
 * @param jitter            a random delay of 0 to {@code jitter} added to every poll (spreads a fleet's requests)
 * @param windows           when polls and installs may happen; empty: at any time
 * @param timeZone          the zone the windows are read in (default: the system's)
 * @param healthCommand     the health check's argv, or empty for none (then an activated version is good at once)
 * @param healthTimeout     bound on the health check
 * @param healthDelay       wait between activation and the health check
 * @param integrityInterval time between verify-installed runs of the active slot
 * @param tamperAction      what a tampered slot triggers besides the audit event and the metric
 * @param stopCommand       argv run for {@link TamperAction#STOP} (e.g. {@code systemctl stop nextepc-mmed})
 * @param metrics           the metrics server's address, or null for none
 * @param syslog            the audit export, or null for none
 */
public record AgentConfig(String repository, String packageName, Duration interval, Duration jitter, List<MaintenanceWindow> windows,
                          ZoneId timeZone, List<String> healthCommand, Duration healthTimeout, Duration healthDelay,
                          Duration integrityInterval, TamperAction tamperAction, List<String> stopCommand,
                          InetSocketAddress metrics, Syslog syslog) {

    /** What a failed integrity check does besides auditing it and raising the metric. */
    public enum TamperAction {
        /** Nothing more: the alert rule and syslog tell the operator. */
        ALERT,
        /** Also run {@code onTamper.stopCommand} (stops the guarded program). */
        STOP
    }

    /**
     * The audit export.
     *
     * @param target          the collector
     * @param facility        RFC 5424 facility code
     * @param queue           queue bound, messages
     * @param maxMessageBytes largest message
     */
    public record Syslog(SyslogTarget target, int facility, int queue, int maxMessageBytes) { }

    /** A configuration error: {@code getMessage()} is the one line the CLI prints (file and key named). */
    public static final class ConfigException extends Exception {
        private static final long serialVersionUID = 1L;

        public ConfigException(String message) {
            super(message);
        }
    }

    /** Default {@code metrics.address}: loopback only. */
    public static final String DEFAULT_METRICS = "127.0.0.1:9850";

    /** Every key the file may hold (nested keys with a dot; {@code maintenanceWindows} entries as {@code maintenanceWindows.days}). */
    public static List<String> knownKeys() {
        return List.of("repository.url", "repository.package", "interval", "jitter", "maintenanceWindows", "maintenanceWindows.days",
                "maintenanceWindows.hours", "timeZone", "healthCheck.command", "healthCheck.timeout", "healthCheck.delay",
                "integrityInterval", "onTamper.action", "onTamper.stopCommand", "metrics.address", "syslog.transport", "syslog.host",
                "syslog.port", "syslog.socket", "syslog.facility", "syslog.queue", "syslog.maxMessageBytes");
    }

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final long MAX_FILE_BYTES = 1 << 20;

    /**
     * Reads {@code file}.
     *
     * @throws ConfigException naming the file and the key for anything invalid, or an unreadable file
     */
    public static AgentConfig load(Path file) throws ConfigException {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes((int) MAX_FILE_BYTES + 1);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw new ConfigException(file + ": larger than " + MAX_FILE_BYTES + " bytes");
        }
        JsonNode root;
        try {
            root = YAML.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new ConfigException(file + ": not YAML: " + e.getOriginalMessage().lines().findFirst().orElse(""));
        } catch (IOException e) {
            throw new ConfigException(file + ": " + e.getMessage());
        }
        return parse(file.toString(), root);
    }

    static AgentConfig parse(String file, JsonNode root) throws ConfigException {
        Reader r = new Reader(file);
        if (root == null || !root.isObject()) {
            throw new ConfigException(file + ": expected a mapping of keys (" + String.join(", ", topKeys()) + ")");
        }
        r.only(root, "", topKeys());
        JsonNode repo = r.object(root, "repository", true);
        r.only(repo, "repository.", Set.of("url", "package"));
        String url = r.text(repo, "repository.url", true);
        try {
            org.veripack.repo.NodeUpdate.baseUri(url); // as update --repo: an http(s) URL with a host, or a directory
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": repository.url " + e.getMessage());
        }
        String pkg = r.text(repo, "repository.package", false);
        Duration interval = r.duration(root, "interval", Duration.ofHours(1));
        Duration jitter = r.duration(root, "jitter", Duration.ofMinutes(5));
        if (interval.compareTo(Duration.ofSeconds(10)) < 0) {
            throw new ConfigException(file + ": interval: at least 10s");
        }
        ZoneId zone;
        String tz = r.text(root, "timeZone", false);
        try {
            zone = tz == null ? ZoneId.systemDefault() : ZoneId.of(tz);
        } catch (DateTimeException e) {
            throw new ConfigException(file + ": timeZone: unknown zone " + tz + " (e.g. Europe/Berlin, UTC)");
        }
        List<MaintenanceWindow> windows = new ArrayList<>();
        JsonNode w = root.get("maintenanceWindows");
        if (w != null && !w.isNull()) {
            if (!w.isArray()) {
                throw new ConfigException(file + ": maintenanceWindows: expected a list of {days, hours}");
            }
            if (w.isEmpty()) { // read as "never" or as "any time" by different people: neither is assumed
                throw new ConfigException(file + ": maintenanceWindows: an empty list; leave the key out for any time, or list at least one {days, hours}");
            }
            for (JsonNode e : w) {
                if (!e.isObject()) {
                    throw new ConfigException(file + ": maintenanceWindows: expected a list of {days, hours}");
                }
                r.only(e, "maintenanceWindows.", Set.of("days", "hours"));
                String days = r.text(e, "maintenanceWindows.days", false);
                String hours = r.text(e, "maintenanceWindows.hours", false);
                try {
                    windows.add(MaintenanceWindow.parse(days == null ? "Mon-Sun" : days, hours == null ? "00:00-24:00" : hours));
                } catch (IllegalArgumentException x) {
                    throw new ConfigException(file + ": maintenanceWindows: " + x.getMessage());
                }
            }
        }
        JsonNode health = r.object(root, "healthCheck", false);
        r.only(health, "healthCheck.", Set.of("command", "timeout", "delay"));
        List<String> healthCommand = r.argv(health, "healthCheck.command");
        Duration healthTimeout = r.duration(health, "healthCheck.timeout", Duration.ofSeconds(60));
        Duration healthDelay = r.duration(health, "healthCheck.delay", Duration.ZERO);
        Duration integrity = r.duration(root, "integrityInterval", Duration.ofHours(1));
        if (integrity.compareTo(Duration.ofSeconds(10)) < 0) {
            throw new ConfigException(file + ": integrityInterval: at least 10s");
        }
        JsonNode tamper = r.object(root, "onTamper", false);
        r.only(tamper, "onTamper.", Set.of("action", "stopCommand"));
        String action = r.text(tamper, "onTamper.action", false);
        TamperAction tamperAction;
        if (action == null || action.equals("alert")) {
            tamperAction = TamperAction.ALERT;
        } else if (action.equals("stop")) {
            tamperAction = TamperAction.STOP;
        } else {
            throw new ConfigException(file + ": onTamper.action: alert or stop, not " + action);
        }
        List<String> stop = r.argv(tamper, "onTamper.stopCommand");
        if (tamperAction == TamperAction.STOP && stop.isEmpty()) {
            throw new ConfigException(file + ": onTamper.stopCommand: required with action: stop (e.g. [systemctl, stop, nextepc-mmed])");
        }
        JsonNode metricsNode = r.object(root, "metrics", false);
        r.only(metricsNode, "metrics.", Set.of("address"));
        JsonNode off = metricsNode == null ? null : metricsNode.get("address");
        // YAML 1.1 (the parser's) reads a bare off as false
        String address = off != null && off.isBoolean() && !off.asBoolean() ? "off" : r.text(metricsNode, "metrics.address", false);
        InetSocketAddress metrics = "off".equals(address) ? null : r.address(address == null ? DEFAULT_METRICS : address);
        Syslog syslog = null;
        JsonNode s = r.object(root, "syslog", false);
        if (s != null) {
            r.only(s, "syslog.", Set.of("transport", "host", "port", "socket", "facility", "queue", "maxMessageBytes"));
            String transport = r.text(s, "syslog.transport", false);
            SyslogTarget.Transport t;
            try {
                t = SyslogTarget.Transport.valueOf((transport == null ? "udp" : transport).toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file + ": syslog.transport: udp, tcp or unix, not " + transport);
            }
            String host = r.text(s, "syslog.host", false);
            int port = r.integer(s, "syslog.port", 514, 1, 65535);
            String socket = r.text(s, "syslog.socket", false);
            if (t == SyslogTarget.Transport.UNIX && socket == null) {
                throw new ConfigException(file + ": syslog.socket: required with transport: unix");
            }
            String facility = r.text(s, "syslog.facility", false);
            Integer code = Rfc5424.FACILITIES.get(facility == null ? "auth" : facility);
            if (code == null) {
                throw new ConfigException(file + ": syslog.facility: one of " + String.join(", ", Rfc5424.FACILITIES.keySet())
                        + ", not " + facility);
            }
            int queue = r.integer(s, "syslog.queue", 1000, 1, 1_000_000);
            int max = r.integer(s, "syslog.maxMessageBytes", 8192, 480, 65000);
            syslog = new Syslog(new SyslogTarget(t, host == null ? "127.0.0.1" : host, t == SyslogTarget.Transport.UNIX ? 514 : port,
                    socket == null ? null : Path.of(socket), Duration.ofSeconds(5)), code, queue, max);
        }
        return new AgentConfig(url, pkg, interval, jitter, List.copyOf(windows), zone, healthCommand, healthTimeout, healthDelay,
                integrity, tamperAction, stop, metrics, syslog);
    }

    private static Set<String> topKeys() {
        return Set.of("repository", "interval", "jitter", "maintenanceWindows", "timeZone", "healthCheck", "integrityInterval",
                "onTamper", "metrics", "syslog");
    }

    /**
     * {@code d} as the configuration writes it, in the largest unit that divides it ({@code 0s}, {@code 90s},
     * {@code 15m}, {@code 1h}, {@code 2d}; below a second ISO-8601), so {@link #duration} reads it back.
     */
    public static String format(Duration d) {
        if (d.getNano() != 0) {
            return d.toString();
        }
        long s = d.getSeconds();
        return s == 0 ? "0s" : s % 86_400 == 0 ? s / 86_400 + "d" : s % 3600 == 0 ? s / 3600 + "h" : s % 60 == 0 ? s / 60 + "m" : s + "s";
    }

    /** {@code a} as {@code metrics.address} writes it: {@code 127.0.0.1:9850}, {@code [::1]:9850}. */
    public static String format(InetSocketAddress a) {
        String h = a.getAddress().getHostAddress();
        return (h.contains(":") ? "[" + h + "]" : h) + ":" + a.getPort();
    }

    /**
     * {@code 30s}, {@code 15m}, {@code 1h}, {@code 2d} or ISO-8601 ({@code PT15M}, {@code P1D}); not negative.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static Duration duration(String s) {
        Duration d;
        try {
            if (s.matches("[0-9]{1,9}[smhd]")) {
                long n = Long.parseLong(s.substring(0, s.length() - 1));
                d = switch (s.charAt(s.length() - 1)) {
                    case 's' -> Duration.ofSeconds(n);
                    case 'm' -> Duration.ofMinutes(n);
                    case 'h' -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
            } else {
                d = Duration.parse(s);
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a duration: " + s + " (e.g. 30s, 15m, 1h, 2d, PT15M)");
        }
        if (d.isNegative()) {
            throw new IllegalArgumentException("negative duration: " + s);
        }
        return d;
    }

    /** Typed reads of one file's nodes, each error naming the file and key. */
    private record Reader(String file) {
        void only(JsonNode n, String prefix, Set<String> allowed) throws ConfigException {
            if (n == null) {
                return;
            }
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!allowed.contains(k)) {
                    throw new ConfigException(file + ": unknown key " + prefix + k + " (known: "
                            + String.join(", ", allowed.stream().sorted().map(a -> prefix + a).toList()) + ")");
                }
            }
        }

        JsonNode object(JsonNode parent, String key, boolean required) throws ConfigException {
            JsonNode n = parent.get(key);
            if (n == null || n.isNull()) {
                if (required) {
                    throw new ConfigException(file + ": " + key + ": required");
                }
                return null;
            }
            if (!n.isObject()) {
                throw new ConfigException(file + ": " + key + ": expected a mapping");
            }
            return n;
        }

        String text(JsonNode parent, String key, boolean required) throws ConfigException {
            JsonNode n = parent == null ? null : parent.get(leaf(key));
            if (n == null || n.isNull()) {
                if (required) {
                    throw new ConfigException(file + ": " + key + ": required");
                }
                return null;
            }
            if (!n.isValueNode() || n.asText().isEmpty()) {
                throw new ConfigException(file + ": " + key + ": expected a non-empty text");
            }
            return n.asText();
        }

        Duration duration(JsonNode parent, String key, Duration dflt) throws ConfigException {
            String s = text(parent, key, false);
            if (s == null) {
                return dflt;
            }
            try {
                return AgentConfig.duration(s);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file + ": " + key + ": " + e.getMessage());
            }
        }

        int integer(JsonNode parent, String key, int dflt, int min, int max) throws ConfigException {
            JsonNode n = parent.get(leaf(key));
            if (n == null || n.isNull()) {
                return dflt;
            }
            if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < min || n.asInt() > max) {
                throw new ConfigException(file + ": " + key + ": expected a whole number " + min + "-" + max + ", not " + n.asText());
            }
            return n.asInt();
        }

        List<String> argv(JsonNode parent, String key) throws ConfigException {
            JsonNode n = parent == null ? null : parent.get(leaf(key));
            if (n == null || n.isNull()) {
                return List.of();
            }
            if (!n.isArray() || n.isEmpty()) {
                throw new ConfigException(file + ": " + key + ": expected a list: the program and its arguments, e.g. [/usr/bin/pgrep, -x, mmed]");
            }
            List<String> argv = new ArrayList<>();
            for (JsonNode a : n) {
                if (!a.isValueNode()) {
                    throw new ConfigException(file + ": " + key + ": expected a list of texts");
                }
                argv.add(a.asText());
            }
            if (!Path.of(argv.get(0)).isAbsolute()) {
                throw new ConfigException(file + ": " + key + ": the program must be an absolute path, not " + argv.get(0));
            }
            return List.copyOf(argv);
        }

        InetSocketAddress address(String s) throws ConfigException {
            int colon = s.lastIndexOf(':');
            String host = colon < 0 ? "" : s.substring(0, colon).replaceAll("^\\[|\\]$", "");
            String port = colon < 0 ? "" : s.substring(colon + 1);
            if (host.isEmpty() || !port.matches("[0-9]{1,5}") || Integer.parseInt(port) > 65535) {
                throw new ConfigException(file + ": metrics.address: HOST:PORT (e.g. " + DEFAULT_METRICS + "), or off; not " + s);
            }
            try {
                return new InetSocketAddress(InetAddress.getByName(host), Integer.parseInt(port));
            } catch (UnknownHostException e) {
                throw new ConfigException(file + ": metrics.address: unknown host " + host);
            }
        }

        private static String leaf(String key) {
            return key.substring(key.lastIndexOf('.') + 1);
        }
    }

    public AgentConfig {
        Objects.requireNonNull(repository, "repository");
    }
}
