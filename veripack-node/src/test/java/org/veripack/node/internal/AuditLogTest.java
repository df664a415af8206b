package org.veripack.node.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.node.AuditEvent;
import org.veripack.node.AuditLog;

class AuditLogTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    private AuditLog log() {
        return new AuditLog(dir.resolve("events.jsonl"), CLOCK);
    }

    private static AuditEvent ev(String type, int i) {
        return new AuditEvent(type, "acme-mme", "1." + i, "slot-" + i, "ACCEPTED", List.of("DIGEST_MISMATCH"), "n" + i);
    }

    private void writeFive(AuditLog log) throws IOException {
        for (int i = 0; i < 5; i++) {
            log.append(ev(AuditEvent.INSTALL_ACCEPTED, i));
        }
    }

    @Test
    void chainStartsWithZerosAndLinksEachLineToThePreviousLinesSha256() throws Exception {
        AuditLog log = log();
        writeFive(log);
        List<String> lines = Files.readAllLines(log.file(), StandardCharsets.UTF_8);
        assertEquals(5, lines.size());
        ObjectMapper m = new ObjectMapper();
        String prev = "0".repeat(64);
        for (String line : lines) {
            JsonNode o = m.readTree(line);
            assertEquals(prev, o.get("prev_sha256").asText());
            assertEquals("2026-01-01T00:00:00Z", o.get("time").asText());
            assertEquals("install.accepted", o.get("event").asText());
            assertEquals("DIGEST_MISMATCH", o.get("findings").get(0).asText());
            assertTrue(o.hasNonNull("user") && o.hasNonNull("host"));
            prev = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(line.getBytes(StandardCharsets.UTF_8)));
        }
        assertTrue(log.verify().intact());
        assertEquals(5, log.verify().lines());
    }

    @Test
    void editedLineIsDetectedAtTheNextLine() throws Exception {
        AuditLog log = log();
        writeFive(log);
        List<String> lines = new ArrayList<>(Files.readAllLines(log.file()));
        lines.set(2, lines.get(2).replace("\"ACCEPTED\"", "\"REJECTED\""));
        Files.write(log.file(), lines);
        AuditLog.Verification v = log.verify();
        assertFalse(v.intact());
        assertEquals(Optional.of(4L), v.firstBrokenLine());
    }

    @Test
    void deletedLineIsDetected() throws Exception {
        AuditLog log = log();
        writeFive(log);
        List<String> lines = new ArrayList<>(Files.readAllLines(log.file()));
        lines.remove(1);
        Files.write(log.file(), lines);
        assertEquals(Optional.of(2L), log.verify().firstBrokenLine());
    }

    @Test
    void insertedForgedLineIsDetected() throws Exception {
        AuditLog log = log();
        writeFive(log);
        List<String> lines = new ArrayList<>(Files.readAllLines(log.file()));
        lines.add(3, lines.get(2));
        Files.write(log.file(), lines);
        assertEquals(Optional.of(4L), log.verify().firstBrokenLine());
    }

    @Test
    void rewrittenFirstLineBreaksTheChainAtLineOne() throws Exception {
        AuditLog log = log();
        writeFive(log);
        List<String> lines = new ArrayList<>(Files.readAllLines(log.file()));
        lines.set(0, lines.get(0).replace("0000000000", "1111111111"));
        Files.write(log.file(), lines);
        assertEquals(Optional.of(1L), log.verify().firstBrokenLine());
    }

    @Test
    void tornTailFromACrashIsCutAndRecordedByTheNextAppend() throws Exception {
        AuditLog log = log();
        writeFive(log);
        Files.writeString(log.file(), "{\"time\":\"2026-01-01T00:00:00Z\",\"eve", StandardOpenOption.APPEND);
        assertEquals(Optional.of(6L), log.verify().firstBrokenLine());
        log.append(ev(AuditEvent.SCAN, 9));
        AuditLog.Verification v = log.verify();
        assertTrue(v.intact(), String.valueOf(v));
        List<String> lines = Files.readAllLines(log.file());
        assertEquals(7, lines.size());
        assertTrue(lines.get(5).contains("\"event\":\"recovery\""));
    }

    @Test
    void missingLogIsAnEmptyIntactChain() throws Exception {
        assertTrue(log().verify().intact());
    }
}
