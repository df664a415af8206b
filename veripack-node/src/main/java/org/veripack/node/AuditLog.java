package org.veripack.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import org.veripack.core.AtomicFile;
import org.veripack.node.internal.NodeLayout;

/**
 * The append-only, hash-chained audit log {@code NODE/audit/events.jsonl} (docs/node.md "Node root layout").
 * The chain makes a changed or removed line visible; the head file it keeps beside it makes lines cut off
 * the end visible, which a chain alone cannot show (docs/guide.md "Audit log").
 *
 * <p>Format: one compact JSON object per line, terminated by {@code \n}, with fields {@code time}
 * (ISO-8601 UTC from the injected {@link Clock}), {@code event}, {@code package}, {@code version},
 * {@code slot}, {@code verdict}, {@code findings} (array of finding codes), {@code detail}, {@code user},
 * {@code host} and {@code prev_sha256}: the lowercase hex SHA-256 of the previous line's bytes without
 * its {@code \n} terminator, 64 zeros on the first line. Changing, inserting or deleting a line breaks
 * the chain at the next line; {@link #verify()} names the first broken line.
 *
 * <p>Appends are serialised by an exclusive file lock on the log (so the guard, which runs without the
 * installer lock, can append too) and fsync'ed before returning. A line torn by a crash (no final
 * {@code \n}) is cut off by the next append, which then records a {@code recovery} event about it.
 * Limits: truncating whole lines off the end is not detectable from the chain alone; the head
 * {@code state/audit-head.json} (written after every append under the lock) covers it: {@link #verify()}
 * reports a log shorter or longer than the head, a missing head on a non-empty log, and every mismatch a later
 * append found (kept in the head's {@code unsealed} list, so the next append cannot launder it).
 */
public final class AuditLog {
    /** {@code prev_sha256} of the first line. */
    public static final String GENESIS = "0".repeat(64);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Object JVM_LOCK = new Object();

    private final Path file;
    private final Path headFile;
    private final Clock clock;
    private final String user;
    private final String host;

    /**
     * @param file  the log file ({@code NODE/audit/events.jsonl}); its directory must exist
     * @param clock source of the {@code time} field
     */
    public AuditLog(Path file, Clock clock) {
        this(file, null, clock);
    }

    /**
     * @param file     the log file
     * @param headFile the head file ({@code NODE/state/audit-head.json}) kept after each append and checked by
     *                 {@link #verify()}; null for none
     * @param clock    source of the {@code time} field
     */
    public AuditLog(Path file, Path headFile, Clock clock) {
        this.file = Objects.requireNonNull(file, "file");
        this.headFile = headFile;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.user = System.getProperty("user.name", "unknown");
        this.host = hostName();
    }

    /**
     * The log of node root {@code root} where its layout puts it ({@code NodeLayout}, docs/node.md):
     * {@code audit/events.jsonl} with its head {@code state/audit-head.json}.
     */
    public static AuditLog forNode(Path root, Clock clock) {
        NodeLayout layout = new NodeLayout(root);
        return new AuditLog(layout.auditLog(), layout.auditHeadFile(), clock);
    }

    public Path file() { return file; }

    /** Appends {@code event} durably (fsync) and returns the line written (without {@code \n}). */
    public String append(AuditEvent event) throws IOException {
        synchronized (JVM_LOCK) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                 FileLock ignored = ch.lock()) {
                long torn = cutTornTail(ch);
                String prev = hexSha256(lastLine(ch));
                long before = 0;
                java.util.List<Unsealed> unsealed = new java.util.ArrayList<>();
                String anomaly = null;
                boolean headed = headFile != null && Files.isDirectory(headFile.getParent()); // no state/ yet: a refusal before the node exists
                Optional<Head> h = Optional.empty();
                if (headed) {
                    try {
                        h = readHead();
                    } catch (java.nio.file.AccessDeniedException noStateAccess) {
                        headed = false; // as below: the line is written, verify() reports it as unsealed
                    }
                }
                if (headed) {
                    h.ifPresent(x -> unsealed.addAll(x.unsealed()));
                    if (h.isPresent() && h.get().lines() >= 0 && h.get().lastLineSha256().equals(prev) && (h.get().lines() > 0 || ch.size() == 0)) {
                        before = h.get().lines();
                    } else if (h.isPresent() && h.get().pendingLines() > 0 && prev.equals(h.get().pendingSha256())) {
                        before = h.get().pendingLines(); // our own append, whose final head write a crash prevented
                    } else {
                        // the log is not what this node sealed last: lines appended by someone
                        // else, a truncated/rewritten log or a deleted head. Sealing it silently would launder the
                        // change, so the head keeps a permanent record of it and verify() keeps reporting it.
                        before = countLines(ch);
                        anomaly = h.isEmpty() ? (before == 0 ? null : before + " lines without an audit head (head deleted, or lines written outside the node)")
                                : h.get().lines() < 0 ? "the audit head was unreadable with " + before + " lines in the log"
                                : before > h.get().lines() ? (before - h.get().lines()) + " lines after the sealed head (appended outside the node?)"
                                : "the log had " + before + " lines whose last is not the one the head sealed (" + h.get().lines()
                                        + " lines): truncated or rewritten";
                        if (anomaly != null) {
                            long from = h.isPresent() && h.get().lines() >= 0 && before > h.get().lines() ? h.get().lines() + 1 : 1;
                            unsealed.add(new Unsealed(from, anomaly));
                        }
                    }
                }
                java.util.List<String> out = new java.util.ArrayList<>();
                if (torn > 0) {
                    out.add(line(new AuditEvent(AuditEvent.Type.RECOVERY, null, null, null, null, java.util.List.of(),
                            "discarded a torn audit line of " + torn + " bytes left by a crash"), prev));
                    prev = hexSha256(out.get(out.size() - 1).getBytes(StandardCharsets.UTF_8));
                }
                if (anomaly != null) {
                    out.add(line(new AuditEvent(AuditEvent.Type.RECOVERY, null, null, null, AuditEvent.Verdict.UNSEALED, java.util.List.of(),
                            "audit log did not match its head: " + anomaly), prev));
                    prev = hexSha256(out.get(out.size() - 1).getBytes(StandardCharsets.UTF_8));
                }
                String line = line(event, prev);
                out.add(line);
                String lineSha = hexSha256(line.getBytes(StandardCharsets.UTF_8));
                if (headed) {
                    // intent first: a crash between the log write and the final head write leaves a head whose
                    // pending entry names exactly these lines, so they are not mistaken for outside appends
                    String sealedSha = hexSha256(lastLine(ch));
                    try {
                        writeHead(new Head(before, sealedSha, unsealed, before + out.size(), lineSha));
                    } catch (java.nio.file.AccessDeniedException noStateAccess) {
                        // a caller who may append but not write state/ (an unauthorised installer's refusal):
                        // the line is still written, and verify() reports it as after the sealed head
                        headed = false;
                    }
                }
                for (String l : out) {
                    write(ch, l);
                }
                ch.force(true);
                if (headed) {
                    writeHead(new Head(before + out.size(), lineSha, unsealed, 0, null));
                }
                return line;
            }
        }
    }

    /** Complete lines in the log now. */
    private static long countLines(FileChannel ch) throws IOException {
        long n = 0;
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        long pos = 0;
        while (true) {
            buf.clear();
            int r = ch.read(buf, pos);
            if (r <= 0) {
                return n;
            }
            for (int i = 0; i < r; i++) {
                if (buf.get(i) == '\n') {
                    n++;
                }
            }
            pos += r;
        }
    }

    /**
     * The signed-off head: number of lines, the SHA-256 of the last one (64 zeros for an empty log), and the
     * mismatches the node found when it appended (lines it had not sealed), kept forever so that a later
     * append cannot launder them.
     */
    record Head(long lines, String lastLineSha256, java.util.List<Unsealed> unsealed, long pendingLines, String pendingSha256) { }

    /** A mismatch between log and head found at an append: first affected line (1-based) and why. */
    record Unsealed(long fromLine, String reason) { }

    private Optional<Head> readHead() throws IOException {
        if (headFile == null) {
            return Optional.empty();
        }
        byte[] b;
        try {
            b = Files.readAllBytes(headFile);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            JsonNode o = MAPPER.readTree(b);
            if (o != null && o.path("lines").canConvertToLong() && o.path("lastLineSha256").isTextual()) {
                java.util.List<Unsealed> unsealed = new java.util.ArrayList<>();
                for (JsonNode u : o.path("unsealed")) {
                    unsealed.add(new Unsealed(u.path("fromLine").asLong(1), u.path("reason").asText("")));
                }
                return Optional.of(new Head(o.path("lines").asLong(), o.path("lastLineSha256").asText(), unsealed,
                        o.path("pendingLines").asLong(0), o.path("pendingSha256").asText("")));
            }
        } catch (IOException e) {
            // fall through: an unreadable head is reported by verify()
        }
        return Optional.of(new Head(-1, "", java.util.List.of(), 0, null));
    }

    private void writeHead(Head h) throws IOException {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("lines", h.lines());
        o.put("lastLineSha256", h.lastLineSha256());
        if (h.pendingLines() > 0) {
            o.put("pendingLines", h.pendingLines());
            o.put("pendingSha256", h.pendingSha256());
        }
        if (!h.unsealed().isEmpty()) {
            ArrayNode a = o.putArray("unsealed");
            h.unsealed().forEach(u -> a.addObject().put("fromLine", u.fromLine()).put("reason", u.reason()));
        }
        AtomicFile.write(headFile, MAPPER.writeValueAsBytes(o));
    }

    private String line(AuditEvent e, String prev) throws IOException {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("time", clock.instant().toString());
        o.put("event", e.event().wireName());
        o.put("package", e.packageName());
        o.put("version", e.version());
        o.put("slot", e.slot());
        o.put("verdict", e.verdict() == null ? null : e.verdict().name());
        ArrayNode f = o.putArray("findings");
        e.findings().forEach(f::add);
        o.put("detail", e.detail());
        o.put("user", user);
        o.put("host", host);
        o.put("prev_sha256", prev);
        String s = MAPPER.writeValueAsString(o);
        if (s.indexOf('\n') >= 0) {
            throw new IllegalStateException("compact JSON contains a newline");
        }
        return s;
    }

    private static void write(FileChannel ch, String line) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        long pos = ch.size();
        while (buf.hasRemaining()) {
            pos += ch.write(buf, pos);
        }
    }

    /** Truncates bytes after the last {@code \n} (a torn append); returns how many were cut. */
    private static long cutTornTail(FileChannel ch) throws IOException {
        long size = ch.size();
        if (size == 0) {
            return 0;
        }
        long end = lastNewlineAtOrBefore(ch, size - 1);
        long keep = end + 1;
        if (keep < size) {
            ch.truncate(keep);
            ch.force(true);
            return size - keep;
        }
        return 0;
    }

    /** Bytes of the last complete line (without {@code \n}), or null when the log is empty. */
    private static byte[] lastLine(FileChannel ch) throws IOException {
        long size = ch.size();
        if (size == 0) {
            return null;
        }
        long end = size - 1; // the final '\n'
        long start = end == 0 ? 0 : lastNewlineAtOrBefore(ch, end - 1) + 1;
        ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(end - start));
        long pos = start;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("audit log shrank while reading");
            }
            pos += n;
        }
        return buf.array();
    }

    /** Offset of the last {@code \n} at or before {@code from}, or -1. */
    private static long lastNewlineAtOrBefore(FileChannel ch, long from) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(8192);
        long pos = from + 1;
        while (pos > 0) {
            int len = (int) Math.min(buf.capacity(), pos);
            long start = pos - len;
            buf.clear().limit(len);
            int read = 0;
            while (read < len) {
                int n = ch.read(buf, start + read);
                if (n < 0) {
                    throw new IOException("audit log shrank while reading");
                }
                read += n;
            }
            for (int i = len - 1; i >= 0; i--) {
                if (buf.get(i) == '\n') {
                    return start + i;
                }
            }
            pos = start;
        }
        return -1;
    }

    /**
     * Result of checking the chain.
     *
     * @param lines           number of complete lines read
     * @param firstBrokenLine 1-based number of the first line whose {@code prev_sha256} does not match, which
     *                        is not a JSON object, or which is torn; empty when the chain is intact
     * @param reason          why that line is broken, or null
     */
    public record Verification(long lines, Optional<Long> firstBrokenLine, String reason) {
        public boolean intact() { return firstBrokenLine.isEmpty(); }
    }

    /**
     * Checks the whole chain from the first line, then the head: line {@code head.lines} must exist and hash to
     * {@code head.lastLineSha256}. A missing log is an intact, empty chain only when no head records lines.
     */
    public Verification verify() throws IOException {
        Optional<Head> head = readHead();
        if (head.isPresent() && head.get().lines() < 0) {
            return new Verification(0, Optional.of(1L), "the audit head " + headFile + " is unreadable");
        }
        InputStream raw;
        try {
            raw = Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            if (head.isPresent() && head.get().lines() > 0) {
                return new Verification(0, Optional.of(1L), "the audit log was deleted: the head records "
                        + head.get().lines() + " lines");
            }
            return new Verification(0, Optional.empty(), null);
        }
        long headLines = head.map(Head::lines).orElse(0L);
        long pendingLines = head.map(Head::pendingLines).orElse(0L);
        String headSha = null;
        String pendingSha = null;
        try (InputStream in = new BufferedInputStream(raw, 1 << 16)) {
            String expectedPrev = GENESIS;
            long n = 0;
            ByteArrayOutputStream cur = new ByteArrayOutputStream();
            int b;
            while (true) {
                b = in.read();
                if (b == -1) {
                    if (cur.size() > 0) {
                        return new Verification(n, Optional.of(n + 1), "torn last line (no line terminator)");
                    }
                    break;
                }
                if (b != '\n') {
                    cur.write(b);
                    continue;
                }
                n++;
                byte[] line = cur.toByteArray();
                cur.reset();
                String why = checkLine(line, expectedPrev, n);
                if (why != null) {
                    return new Verification(n, Optional.of(n), why);
                }
                expectedPrev = hexSha256(line);
                if (n == headLines) {
                    headSha = expectedPrev;
                }
                if (n == pendingLines) {
                    pendingSha = expectedPrev;
                }
            }
            if (pendingLines > 0 && n == pendingLines && head.get().pendingSha256().equals(pendingSha)) {
                headLines = pendingLines; // the node's own append; a crash kept it from finishing the head
                headSha = pendingSha;
                head = Optional.of(new Head(pendingLines, pendingSha, head.get().unsealed(), 0, null));
            }
            if (n < headLines) {
                return new Verification(n, Optional.of(n + 1), "the log ends after line " + n + " but the audit head records "
                        + headLines + " lines: lines were truncated or the log emptied");
            }
            if (head.isPresent() && headLines > 0 && !head.get().lastLineSha256().equals(headSha)) {
                return new Verification(n, Optional.of(headLines), "line " + headLines
                        + " is not the line the audit head signed off (the log was truncated and rewritten)");
            }
            if (headFile != null && head.isEmpty() && n > 0) {
                return new Verification(n, Optional.of(1L), "no audit head " + headFile + " for a log of " + n
                        + " lines (head deleted, or lines written outside the node)");
            }
            if (head.isPresent() && n > headLines) {
                return new Verification(n, Optional.of(headLines + 1), (n - headLines)
                        + " lines after the sealed head (appended outside the node?)");
            }
            if (head.isPresent() && !head.get().unsealed().isEmpty()) {
                Unsealed u = head.get().unsealed().get(0);
                return new Verification(n, Optional.of(u.fromLine()), "unsealed lines found by the node at a later append: "
                        + u.reason() + (head.get().unsealed().size() > 1 ? " (and " + (head.get().unsealed().size() - 1) + " more)" : ""));
            }
            return new Verification(n, Optional.empty(), null);
        }
    }

    private static String checkLine(byte[] line, String expectedPrev, long n) {
        JsonNode o;
        try {
            o = MAPPER.readTree(line);
        } catch (IOException e) {
            return "not a JSON object";
        }
        if (o == null || !o.isObject()) {
            return "not a JSON object";
        }
        JsonNode prev = o.get("prev_sha256");
        if (prev == null || !prev.isTextual()) {
            return "no prev_sha256";
        }
        if (!prev.asText().equals(expectedPrev)) {
            return n == 1 ? "line 1's prev_sha256 is not the genesis value (line 1 was altered or lines before it removed)"
                    : "line " + n + "'s prev_sha256 does not match line " + (n - 1) + " (line " + (n - 1) + " or " + n
                    + " was altered, or a line was inserted or removed there)";
        }
        return null;
    }

    static String hexSha256(byte[] bytes) {
        if (bytes == null) {
            return GENESIS;
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is mandatory in every JDK", e);
        }
    }

    private static String hostName() {
        try {
            Path etc = Path.of("/etc/hostname");
            if (Files.isReadable(etc)) {
                String h = Files.readString(etc).strip();
                if (!h.isEmpty()) {
                    return h;
                }
            }
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
