package org.veripack.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.node.AuditEvent;
import org.veripack.node.AuditLog;

/**
 * An export closed right after it read a line (an agent stopped or reloaded just after an event) still sends that
 * line: {@link AuditExport#close()} waits for what is queued or being sent while the collector is not known to be
 * down. Its cursor is already past the line, so a line dropped there would never reach the collector. The collector
 * here is a UDP socket of the test (no rsyslog needed); each round is a new export, as after a restart, closed at
 * once (no cursor file to write, so the sending thread has had no time of its own).
 */
class AuditExportCloseTest {
    @TempDir Path dir;

    @Test
    void aLineReadJustBeforeCloseIsSent() throws Exception {
        try (DatagramSocket collector = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            collector.setSoTimeout(5000);
            SyslogTarget udp = new SyslogTarget(SyslogTarget.Transport.UDP, "127.0.0.1", collector.getLocalPort(), null, Duration.ofSeconds(1));
            for (int round = 1; round <= 20; round++) {
                // a log of one line and an export without a cursor file: poll() returns as soon as the line is queued
                AuditLog audit = new AuditLog(dir.resolve("events-" + round + ".jsonl"),
                        Clock.fixed(Instant.parse("2026-12-07T06:30:00Z"), ZoneOffset.UTC));
                audit.append(new AuditEvent(AuditEvent.Type.INSTALL_ACCEPTED, "close-pkg", Integer.toString(round), null,
                        AuditEvent.Verdict.ACCEPTED, List.of(), null));
                AuditExport export = new AuditExport(audit.file(), null, udp, Rfc5424.FACILITIES.get("auth"), 16, 8192, "h",
                        w -> { });
                assertEquals(1, export.poll(), "round " + round);
                export.close();
                assertEquals(List.of(1L, 0L), List.of(export.sent(), export.dropped()), "round " + round + ": sent, dropped");
                DatagramPacket p = new DatagramPacket(new byte[8192], 8192);
                collector.receive(p);
                String m = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
                assertTrue(m.contains("version=\"" + round + "\""), m);
            }
        }
    }
}
