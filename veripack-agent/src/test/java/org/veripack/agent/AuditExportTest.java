package org.veripack.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.node.AuditEvent;
import org.veripack.node.AuditLog;

/** Audit export against a real rsyslog on loopback: every transport, a collector that is down, a restarted agent. */
class AuditExportTest {
    private static final Instant T0 = Instant.parse("2026-12-07T06:30:00.123456789Z");
    private static final int AUTH = Rfc5424.FACILITIES.get("auth");

    @TempDir
    static Path rsyslogDir;
    static Rsyslog rsyslog;

    @TempDir
    Path dir;

    @BeforeAll
    static void startRsyslog() throws Exception {
        rsyslog = Rsyslog.start(rsyslogDir);
    }

    @AfterAll
    static void stopRsyslog() {
        if (rsyslog != null) {
            rsyslog.close();
        }
    }

    /** install, refusal, rollback and tamper events arrive over UDP, TCP (octet counting) and the unix socket. */
    @Test
    void everyTransportDeliversParsableRfc5424WithTheAuditFields() throws Exception {
        exportAndCheck(new SyslogTarget(SyslogTarget.Transport.UDP, "127.0.0.1", rsyslog.udpPort, null, Duration.ofSeconds(2)), "udp", "imudp");
        exportAndCheck(new SyslogTarget(SyslogTarget.Transport.TCP, "127.0.0.1", rsyslog.tcpPort, null, Duration.ofSeconds(2)), "tcp", "imtcp");
        exportAndCheck(new SyslogTarget(SyslogTarget.Transport.UNIX, null, 0, rsyslog.socket, Duration.ofSeconds(2)), "unix", "imptcp");
    }

    private void exportAndCheck(SyslogTarget target, String name, String input) throws Exception {
        Path logDir = Files.createDirectories(dir.resolve(name));
        AuditLog audit = new AuditLog(logDir.resolve("events.jsonl"), Clock.fixed(T0, ZoneOffset.UTC));
        audit.append(new AuditEvent(AuditEvent.Type.SCAN, null, null, null, null, List.of(), "before the export started"));
        List<AuditEvent> events = List.of(
                new AuditEvent(AuditEvent.Type.INSTALL_ACCEPTED, "acme-mme", "2.1", "acme-mme-2.1-a", AuditEvent.Verdict.ACCEPTED, List.of(), null),
                new AuditEvent(AuditEvent.Type.INSTALL_REJECTED, "acme-mme", "2.2~" + name, null, AuditEvent.Verdict.REJECTED,
                        List.of("DIGEST_MISMATCH", "SIGNER_NOT_AUTHORIZED"), "Files/bin/mmed \"quoted\" [bracketed] back\\slash"),
                new AuditEvent(AuditEvent.Type.ROLLBACK, "acme-mme", "2.0", "acme-mme-2.0-b", AuditEvent.Verdict.ACCEPTED, List.of(),
                        "health check failed"),
                new AuditEvent(AuditEvent.Type.SCAN, "acme-mme", "2.1", "acme-mme-2.1-a", AuditEvent.Verdict.REJECTED,
                        List.of("INSTALLATION_TAMPERED"), "Files/bin/mmed changed"));
        try (AuditExport export = new AuditExport(audit.file(), logDir.resolve("cursor"), target, AUTH, 16, 8192, "fallback",
                w -> { })) {
            for (AuditEvent e : events) {
                audit.append(e);
            }
            assertEquals(5, export.poll(), "with the line written before the first start (the history)");
            List<Rsyslog.Received> got = await(r -> r.input().equals(input) && "acme-mme".equals(r.param("package")), 4);
            List<String> lines = Files.readAllLines(audit.file(), StandardCharsets.UTF_8);
            assertEquals(4, got.size(), name + ": " + got);
            int[] severities = {6, 4, 5, 2};
            for (int i = 0; i < 4; i++) {
                Rsyslog.Received r = got.get(i);
                String line = lines.get(i + 1);
                AuditEvent e = events.get(i);
                assertEquals("1", r.protocolVersion(), "rsyslog parsed RFC 5424");
                assertEquals(AUTH * 8 + severities[i], r.pri());
                assertEquals(Instant.parse("2026-12-07T06:30:00.123456Z"), Instant.parse(r.time()));
                assertEquals("veripack", r.appName());
                assertEquals(e.event().wireName(), r.msgid());
                assertTrue(r.structuredData().startsWith("[veripack@32473 "), r.structuredData());
                assertEquals(e.event().wireName(), r.param("event"));
                assertEquals(e.packageName(), r.param("package"));
                assertEquals(e.version(), r.param("version"));
                assertEquals(e.verdict().name(), r.param("verdict"));
                assertEquals(e.findings().isEmpty() ? null : String.join(",", e.findings()), r.param("findings"));
                assertEquals(String.valueOf(i + 2), r.param("auditLine"), "position in the chain");
                assertEquals(sha256(line), r.param("auditSha256"));
                assertEquals(line.trim(), r.msg().trim(), "MSG is the audit line itself");
            }
            assertEquals(sha256(lines.get(1)), got.get(1).param("prevSha256"), "chained to the line before");
            assertEquals(0, export.dropped());
        }
    }

    /** The collector is down: appends go on at full speed, the queue is bounded, drops are counted; it comes back. */
    @Test
    void aDownCollectorNeitherBlocksNorLosesTheAuditLog() throws Exception {
        int port = Rsyslog.freeTcpPort(); // nobody listens there
        AuditLog audit = new AuditLog(dir.resolve("events.jsonl"), dir.resolve("head.json"), Clock.fixed(T0, ZoneOffset.UTC));
        List<String> warnings = new ArrayList<>();
        SyslogTarget down = new SyslogTarget(SyslogTarget.Transport.TCP, "127.0.0.1", port, null, Duration.ofMillis(500));
        try (AuditExport export = new AuditExport(audit.file(), null, down, AUTH, 2, 8192, "h", warnings::add)) {
            long start = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                audit.append(new AuditEvent(AuditEvent.Type.INSTALL_ACCEPTED, "acme-mme", "1." + i, null, AuditEvent.Verdict.ACCEPTED, List.of(), null));
                export.poll();
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 5000, "20 appends and polls took " + millis + " ms");
            AuditLog.Verification v = audit.verify();
            assertTrue(v.intact(), v.reason());
            assertEquals(20, v.lines(), "every line is in the local log");
            assertTrue(export.dropped() >= 17 && export.dropped() <= 18, "queue of 2 (+1 held by the sender): " + export.dropped());
            assertEquals(0, export.sent());
            long until = System.nanoTime() + 5_000_000_000L;
            while (warnings.isEmpty() && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertTrue(warnings.get(0).contains("unreachable"), warnings.toString());
        }
    }

    /** A restarted agent continues after the last line it read (the cursor), not from the log's start or end. */
    @Test
    void aRestartedExportContinuesAtItsCursor() throws Exception {
        AuditLog audit = new AuditLog(dir.resolve("events.jsonl"), Clock.fixed(T0, ZoneOffset.UTC));
        SyslogTarget udp = new SyslogTarget(SyslogTarget.Transport.UDP, "127.0.0.1", rsyslog.udpPort, null, Duration.ofSeconds(1));
        Path cursor = dir.resolve("cursor");
        try (AuditExport export = new AuditExport(audit.file(), cursor, udp, AUTH, 16, 8192, "h", w -> { })) {
            audit.append(new AuditEvent(AuditEvent.Type.INSTALL_ACCEPTED, "restart-pkg", "1", null, AuditEvent.Verdict.ACCEPTED, List.of(), null));
            assertEquals(1, export.poll());
        }
        audit.append(new AuditEvent(AuditEvent.Type.INSTALL_ACCEPTED, "restart-pkg", "2", null, AuditEvent.Verdict.ACCEPTED, List.of(), null));
        try (AuditExport export = new AuditExport(audit.file(), cursor, udp, AUTH, 16, 8192, "h", w -> { })) {
            assertEquals(1, export.poll(), "only the line written while it was stopped");
        }
        List<Rsyslog.Received> got = await(r -> "restart-pkg".equals(r.param("package")), 2);
        assertEquals(List.of("1", "2"), got.stream().map(r -> r.param("auditLine")).toList());
        assertEquals(List.of("1", "2"), got.stream().map(r -> r.param("version")).toList());
    }

    /** The first start (no cursor) sends the history already in the log, more lines than the queue holds, none dropped. */
    @Test
    void theFirstStartSendsTheWholeExistingLogWithoutDrops() throws Exception {
        AuditLog audit = new AuditLog(dir.resolve("history.jsonl"), Clock.fixed(T0, ZoneOffset.UTC));
        int lines = 40;
        for (int i = 1; i <= lines; i++) {
            audit.append(new AuditEvent(AuditEvent.Type.INSTALL_ACCEPTED, "history-pkg", Integer.toString(i), null, AuditEvent.Verdict.ACCEPTED,
                    List.of(), null));
        }
        SyslogTarget tcp = new SyslogTarget(SyslogTarget.Transport.TCP, "127.0.0.1", rsyslog.tcpPort, null, Duration.ofSeconds(1));
        try (AuditExport export = new AuditExport(audit.file(), dir.resolve("history-cursor"), tcp, AUTH, 8, 8192, "h", w -> { })) {
            int read = 0;
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (read < lines && System.nanoTime() < until) {
                read += export.poll();
                Thread.sleep(20);
            }
            assertEquals(lines, read, "every existing line read");
            List<Rsyslog.Received> got = await(r -> "history-pkg".equals(r.param("package")), lines);
            assertEquals(java.util.stream.IntStream.rangeClosed(1, lines).mapToObj(Integer::toString).toList(),
                    got.stream().map(r -> r.param("auditLine")).toList());
            assertEquals(0, export.dropped());
        }
    }

    private static List<Rsyslog.Received> await(java.util.function.Predicate<Rsyslog.Received> match, int n) throws Exception {
        return rsyslog.await(Duration.ofSeconds(10), r -> r.stream().filter(match).count() >= n).stream().filter(match).toList();
    }

    private static String sha256(String line) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(line.getBytes(StandardCharsets.UTF_8)));
    }
}
