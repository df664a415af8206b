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

    private static AuditEvent ev(AuditEvent.Type type, int i) {
        return new AuditEvent(type, "acme-mme", "1." + i, "slot-" + i, AuditEvent.Verdict.ACCEPTED, List.of("DIGEST_MISMATCH"), "n" + i);
    }

    private void writeFive(AuditLog log) throws IOException {
        for (int i = 0; i < 5; i++) {
            log.append(ev(AuditEvent.Type.INSTALL_ACCEPTED, i));
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
        log.append(ev(AuditEvent.Type.SCAN, 9));
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

    private AuditLog headed() {
        return new AuditLog(dir.resolve("events.jsonl"), dir.resolve("audit-head.json"), CLOCK);
    }

    @Test
    void headRecordsLineCountAndLastLineSoTruncationIsDetected() throws Exception {
        AuditLog log = headed();
        writeFive(log);
        JsonNode head = new ObjectMapper().readTree(dir.resolve("audit-head.json").toFile());
        assertEquals(5, head.get("lines").asLong());
        List<String> lines = Files.readAllLines(log.file(), StandardCharsets.UTF_8);
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(lines.get(4).getBytes(StandardCharsets.UTF_8))),
                head.get("lastLineSha256").asText());
        assertTrue(log.verify().intact());

        Files.write(log.file(), (String.join("\n", lines.subList(0, 3)) + "\n").getBytes(StandardCharsets.UTF_8));
        AuditLog.Verification cut = log.verify();
        assertFalse(cut.intact());
        assertEquals(Optional.of(4L), cut.firstBrokenLine());
        Files.delete(log.file());
        assertFalse(log.verify().intact());
    }

    @Test
    void truncatedLogRewrittenWithAFreshChainIsDetected() throws Exception {
        AuditLog log = headed();
        writeFive(log);
        byte[] head = Files.readAllBytes(dir.resolve("audit-head.json"));
        Files.delete(log.file());
        AuditLog forger = log(); // appends without updating the head
        for (int i = 0; i < 5; i++) {
            forger.append(ev(AuditEvent.Type.SCAN, i));
        }
        Files.write(dir.resolve("audit-head.json"), head);
        assertFalse(log.verify().intact());
    }

    /**
     * A writer without state access (e.g. an unauthorised user whose refusal reaches the
     * log but not the head) appends a line with a correct chain. This used to be accepted; now it is reported
     * as unsealed (fail closed), and the node's next append records the mismatch in the head instead of
     * sealing it, so it stays reported.
     */
    @Test
    void linesAppendedAfterTheHeadByAWriterWithoutStateAccessAreReportedAsUnsealed() throws Exception {
        AuditLog log = headed();
        writeFive(log);
        log().append(ev(AuditEvent.Type.INSTALL_UNAUTHORIZED, 9));
        AuditLog.Verification v = log.verify();
        assertFalse(v.intact());
        assertEquals(Optional.of(6L), v.firstBrokenLine());
        assertTrue(v.reason().contains("1 lines after the sealed head"), v.reason());

        log.append(ev(AuditEvent.Type.SCAN, 10));
        JsonNode head = new ObjectMapper().readTree(dir.resolve("audit-head.json").toFile());
        assertEquals(8, head.get("lines").asLong()); // 6 lines + the node's record of the mismatch + the scan
        assertEquals(6, head.get("unsealed").get(0).get("fromLine").asLong());
        AuditLog.Verification after = log.verify();
        assertFalse(after.intact(), "the next genuine append must not launder the forged line");
        assertEquals(Optional.of(6L), after.firstBrokenLine());
        assertTrue(Files.readString(log.file()).contains("\"verdict\":\"UNSEALED\""));
    }

    @Test
    void forgedLineWithACorrectChainIsReported() throws Exception {
        AuditLog log = headed();
        writeFive(log);
        List<String> lines = Files.readAllLines(log.file(), StandardCharsets.UTF_8);
        String prev = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(lines.get(4).getBytes(StandardCharsets.UTF_8)));
        String forged = "{\"time\":\"2026-01-01T00:00:00Z\",\"event\":\"scan\",\"verdict\":\"ACCEPTED\",\"prev_sha256\":\"" + prev + "\"}\n";
        Files.writeString(log.file(), forged, StandardOpenOption.APPEND);
        assertTrue(log().verify().intact(), "the chain alone is intact");
        AuditLog.Verification v = log.verify();
        assertFalse(v.intact());
        assertEquals(Optional.of(6L), v.firstBrokenLine());
    }

    @Test
    void deletedHeadOnANonEmptyLogIsReportedAlsoAfterTruncationAndAnAppend() throws Exception {
        AuditLog log = headed();
        writeFive(log);
        Files.delete(dir.resolve("audit-head.json"));
        assertFalse(log.verify().intact());
        List<String> lines = Files.readAllLines(log.file(), StandardCharsets.UTF_8);
        Files.write(log.file(), (String.join("\n", lines.subList(0, 2)) + "\n").getBytes(StandardCharsets.UTF_8));
        assertFalse(log.verify().intact());
        log.append(ev(AuditEvent.Type.SCAN, 10));
        assertFalse(log.verify().intact(), "a missing head is recorded by the next append, not forgotten");
    }

    @Test
    void crashBetweenTheLogWriteAndTheHeadWriteIsNotMistakenForAnOutsideAppend() throws Exception {
        AuditLog log = headed();
        writeFive(log);
        List<String> lines = Files.readAllLines(log.file(), StandardCharsets.UTF_8);
        // the state the intent write leaves when the process dies after the log write: head at 4 lines, pending 5
        String sha4 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(lines.get(3).getBytes(StandardCharsets.UTF_8)));
        String sha5 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(lines.get(4).getBytes(StandardCharsets.UTF_8)));
        Files.writeString(dir.resolve("audit-head.json"), "{\"lines\":4,\"lastLineSha256\":\"" + sha4
                + "\",\"pendingLines\":5,\"pendingSha256\":\"" + sha5 + "\"}");
        assertTrue(log.verify().intact(), log.verify().reason());
        log.append(ev(AuditEvent.Type.SCAN, 10));
        assertTrue(log.verify().intact(), log.verify().reason());
        assertEquals(6, new ObjectMapper().readTree(dir.resolve("audit-head.json").toFile()).get("lines").asLong());
    }
}
