package org.veripack.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The RFC 5424 framing of audit lines: what rsyslog cannot show (escaping, cutting, odd lines). */
class Rfc5424Test {
    private static String format(String line, int maxBytes) {
        return new String(Rfc5424.format(line.getBytes(StandardCharsets.UTF_8), 7, "ab", 16, "fallback", maxBytes), StandardCharsets.UTF_8);
    }

    @Test
    void paramValuesEscapeQuoteBackslashAndBracket() {
        String m = format("{\"time\":\"2026-01-02T03:04:05Z\",\"event\":\"install.rejected\",\"package\":\"a\\\"b]c\\\\d\",\"verdict\":\"REJECTED\","
                + "\"findings\":[\"DIGEST_MISMATCH\"],\"host\":\"node-1\"}", 8192);
        assertTrue(m.startsWith("<132>1 2026-01-02T03:04:05.000000Z node-1 veripack - install.rejected [veripack@32473 "), m);
        assertTrue(m.contains(" package=\"a\\\"b\\]c\\\\d\""), m);
        assertTrue(m.contains(" findings=\"DIGEST_MISMATCH\" auditLine=\"7\" auditSha256=\"ab\"]"), m);
    }

    @Test
    void aLongLineIsCutOnACharacterBoundaryAndMarked() {
        String detail = "é".repeat(2000);
        String line = "{\"event\":\"scan\",\"detail\":\"" + detail + "\"}";
        byte[] m = Rfc5424.format(line.getBytes(StandardCharsets.UTF_8), 1, "ab", 1, "h", 600);
        assertTrue(m.length <= 600, "length " + m.length);
        String s = new String(m, StandardCharsets.UTF_8);
        assertTrue(s.contains(" truncated=\"true\"] {\"event\":\"scan\""), s);
        assertArrayEquals(s.getBytes(StandardCharsets.UTF_8), m, "no UTF-8 sequence split");
    }

    @Test
    void aLineThatIsNotJsonIsStillExportedWithNilHeaderFields() {
        String m = format("not json at all", 8192);
        assertEquals("<134>1 - fallback veripack - - [veripack@32473 auditLine=\"7\" auditSha256=\"ab\"] not json at all", m);
    }

    @Test
    void headerFieldsArePrintableAscii() {
        String m = format("{\"event\":\"scan\",\"host\":\"nöde with space\"}", 8192);
        assertTrue(m.startsWith("<134>1 - n?de?with?space veripack - scan "), m);
    }

    @Test
    void facilityAndSizeAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> Rfc5424.format(new byte[0], 1, "", 24, "h", 8192));
        assertThrows(IllegalArgumentException.class, () -> Rfc5424.format(new byte[0], 1, "", 1, "h", 479));
        assertEquals(13, Rfc5424.FACILITIES.get("audit"));
        assertEquals(23, Rfc5424.FACILITIES.get("local7"));
    }

    @Test
    void octetCountingPrefixesTheLengthInBytes() {
        assertArrayEquals("6 héllo".getBytes(StandardCharsets.UTF_8), // é is two octets
                SyslogTarget.octetCounted("héllo".getBytes(StandardCharsets.UTF_8)));
    }
}
