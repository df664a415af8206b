package org.veripack.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One audit line as an RFC 5424 syslog message (docs/guide.md "Run the agent", docs/reference.md "Audit export"):
 * <pre>
 * &lt;PRI&gt;1 TIMESTAMP HOSTNAME veripack - MSGID [veripack@32473 event=".." package=".." version=".." slot=".."
 *     verdict=".." findings="A,B" user=".." auditLine="N" auditSha256=".." prevSha256=".."] AUDIT-LINE
 * </pre>
 * PRI is the configured facility × 8 + a severity from the event (RFC 5424 §6.2.1: crit for
 * {@code INSTALLATION_TAMPERED}, err for verdict {@code ERROR}/{@code UNSEALED}, warning for
 * {@code REJECTED}/{@code REFUSED}, notice for rollbacks, recovery and trust changes, else info); TIMESTAMP the audit
 * line's {@code time} in UTC with microseconds (§6.2.3 allows at most six fraction digits); HOSTNAME the line's
 * {@code host}; MSGID the event type ({@code install.accepted}, §6.2.7). The structured data's SD-ID is
 * {@code veripack@32473} (§7.2.2: a name with an enterprise number; 32473 is the number RFC 5612 reserves for
 * documentation, Veripack has none of its own). {@code auditLine} is the line's 1-based position in
 * {@code NODE/audit/events.jsonl} and {@code auditSha256} the SHA-256 of its bytes (the next line's
 * {@code prev_sha256}), so a collector can see gaps and check its copy against the hash chain: MSG is the audit line
 * itself, byte for byte, unless it had to be cut to {@code maxBytes} (then {@code truncated="true"}).
 *
 * <p>Escaping follows §6.3.3 ({@code "}, {@code \} and {@code ]} in PARAM-VALUE get a backslash); header fields are
 * PRINTUSASCII (§6), anything else becomes {@code ?}.
 */
public final class Rfc5424 {
    /** The structured-data ID (RFC 5424 §7.2.2; 32473: RFC 5612's documentation enterprise number). */
    public static final String SD_ID = "veripack@32473";
    /** The APP-NAME of every message. */
    public static final String APP_NAME = "veripack";

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    /** Facility names and codes of RFC 5424 §6.2.1 Table 1 (names as in syslog.conf(5)). */
    public static final Map<String, Integer> FACILITIES;

    static {
        Map<String, Integer> f = new LinkedHashMap<>();
        String[] names = {"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
                "ntp", "audit", "alert", "clock"};
        for (int i = 0; i < names.length; i++) {
            f.put(names[i], i);
        }
        for (int i = 0; i < 8; i++) {
            f.put("local" + i, 16 + i);
        }
        FACILITIES = java.util.Collections.unmodifiableMap(f);
    }

    private Rfc5424() { }

    /**
     * The message for one audit line.
     *
     * @param auditLine    the line's bytes as in the log, without its {@code \n}
     * @param position     its 1-based line number in the log
     * @param sha256       lowercase hex SHA-256 of {@code auditLine}
     * @param facility     RFC 5424 facility code 0–23
     * @param fallbackHost HOSTNAME when the line has no {@code host}
     * @param maxBytes     the largest message (UTF-8 bytes) to produce; MSG is cut to fit (at least 480, RFC 5424 §6.1)
     * @return the message's UTF-8 bytes (no framing, no trailing newline)
     */
    public static byte[] format(byte[] auditLine, long position, String sha256, int facility, String fallbackHost, int maxBytes) {
        if (facility < 0 || facility > 23) {
            throw new IllegalArgumentException("facility " + facility + " is not 0-23");
        }
        if (maxBytes < 480) {
            throw new IllegalArgumentException("maxBytes below RFC 5424's 480");
        }
        JsonNode json;
        try {
            json = MAPPER.readTree(auditLine);
        } catch (IOException e) {
            json = null;
        }
        if (json == null || !json.isObject()) {
            json = MAPPER.createObjectNode(); // not JSON (a hand-written line): still exported, as MSG only
        }
        List<String> findings = new ArrayList<>();
        json.path("findings").forEach(n -> findings.add(n.asText()));
        String verdict = text(json, "verdict");
        String event = text(json, "event");
        int severity = severity(event, verdict, findings);
        String host = text(json, "host");
        StringBuilder head = new StringBuilder(256);
        head.append('<').append(facility * 8 + severity).append(">1 ")
                .append(timestamp(text(json, "time"))).append(' ')
                .append(headerField(host != null ? host : fallbackHost, 255)).append(' ')
                .append(APP_NAME).append(' ')
                .append('-').append(' ')
                .append(headerField(event, 32)).append(' ');
        StringBuilder sd = new StringBuilder(256).append('[').append(SD_ID);
        param(sd, "event", event);
        param(sd, "package", text(json, "package"));
        param(sd, "version", text(json, "version"));
        param(sd, "slot", text(json, "slot"));
        param(sd, "verdict", verdict);
        param(sd, "findings", findings.isEmpty() ? null : String.join(",", findings));
        param(sd, "user", text(json, "user"));
        param(sd, "auditLine", Long.toString(position));
        param(sd, "auditSha256", sha256);
        param(sd, "prevSha256", text(json, "prev_sha256"));
        byte[] prefix = (head.toString() + sd).getBytes(StandardCharsets.UTF_8);
        byte[] close = "] ".getBytes(StandardCharsets.US_ASCII);
        int room = maxBytes - prefix.length - close.length;
        boolean cut = auditLine.length > room;
        if (cut) {
            byte[] mark = " truncated=\"true\"".getBytes(StandardCharsets.US_ASCII);
            room -= mark.length;
            byte[] p2 = new byte[prefix.length + mark.length];
            System.arraycopy(prefix, 0, p2, 0, prefix.length);
            System.arraycopy(mark, 0, p2, prefix.length, mark.length);
            prefix = p2;
        }
        int msgLength = cut ? utf8Boundary(auditLine, Math.max(0, room)) : auditLine.length;
        byte[] out = new byte[prefix.length + close.length + msgLength];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(close, 0, out, prefix.length, close.length);
        System.arraycopy(auditLine, 0, out, prefix.length + close.length, msgLength);
        return out;
    }

    /** RFC 5424 §6.2.1 severity for an audit event (see the class comment). */
    static int severity(String event, String verdict, List<String> findings) {
        if (findings.contains("INSTALLATION_TAMPERED")) {
            return 2;
        }
        if ("ERROR".equals(verdict) || "UNSEALED".equals(verdict)) {
            return 3;
        }
        if ("REJECTED".equals(verdict) || "REFUSED".equals(verdict)) {
            return 4;
        }
        if (event != null && (event.startsWith("rollback") || event.equals("recovery") || event.startsWith("trust.")
                || event.startsWith("agent."))) {
            return 5;
        }
        return 6;
    }

    private static String text(JsonNode json, String field) {
        JsonNode n = json.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    private static String timestamp(String time) {
        if (time != null) {
            try {
                return TIME.format(Instant.parse(time));
            } catch (DateTimeParseException e) {
                // a line without a valid time: NILVALUE
            }
        }
        return "-";
    }

    /** §6: PRINTUSASCII, at most {@code max} characters, NILVALUE when empty. */
    private static String headerField(String value, int max) {
        if (value == null || value.isEmpty()) {
            return "-";
        }
        StringBuilder b = new StringBuilder(Math.min(value.length(), max));
        for (int i = 0; i < value.length() && b.length() < max; i++) {
            char c = value.charAt(i);
            b.append(c >= 33 && c <= 126 ? c : '?');
        }
        return b.toString();
    }

    /** §6.3.3: a PARAM-VALUE with {@code "}, {@code \} and {@code ]} escaped; null values are left out. */
    private static void param(StringBuilder sd, String name, String value) {
        if (value == null) {
            return;
        }
        sd.append(' ').append(name).append("=\"");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\' || c == ']') {
                sd.append('\\');
            }
            sd.append(c);
        }
        sd.append('"');
    }

    /** The largest length ≤ {@code max} that does not split a UTF-8 sequence of {@code b}. */
    private static int utf8Boundary(byte[] b, int max) {
        int n = Math.min(max, b.length);
        while (n > 0 && n < b.length && (b[n] & 0xC0) == 0x80) {
            n--;
        }
        return n;
    }
}
