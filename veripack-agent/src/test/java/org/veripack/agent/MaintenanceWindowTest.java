package org.veripack.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Weekly windows in a zone: ranges of days, past midnight, daylight-saving changes, several windows. */
class MaintenanceWindowTest {
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    @Test
    void aWindowPastMidnightBelongsToTheDayItOpens() {
        MaintenanceWindow sat = MaintenanceWindow.parse("Sat", "22:00-02:00");
        assertTrue(sat.contains(Instant.parse("2026-01-03T21:00:00Z"), BERLIN), "Sat 22:00 Berlin");
        assertTrue(sat.contains(Instant.parse("2026-01-04T00:59:59Z"), BERLIN), "Sun 01:59:59 Berlin");
        assertFalse(sat.contains(Instant.parse("2026-01-04T01:00:00Z"), BERLIN), "Sun 02:00 Berlin: closed (end exclusive)");
        assertFalse(sat.contains(Instant.parse("2026-01-04T21:00:00Z"), BERLIN), "Sun 22:00: not a Saturday");
        assertEquals(Instant.parse("2026-01-10T21:00:00Z"), sat.nextOpen(Instant.parse("2026-01-04T01:00:00Z"), BERLIN));
    }

    @Test
    void daysAreRangesAndListsAndWrapAroundTheWeek() {
        assertEquals(5, MaintenanceWindow.parse("Mon-Fri", "00:00-24:00").days().size());
        assertEquals(3, MaintenanceWindow.parse("Fri-Sun", "00:00-24:00").days().size());
        assertEquals(4, MaintenanceWindow.parse("mon, Wed-Fri", "00:00-24:00").days().size());
        MaintenanceWindow allDay = MaintenanceWindow.parse("Sun", "00:00-24:00");
        assertTrue(allDay.contains(Instant.parse("2026-01-04T22:59:59Z"), BERLIN), "Sun 23:59:59 Berlin");
        assertFalse(allDay.contains(Instant.parse("2026-01-04T23:00:00Z"), BERLIN), "Mon 00:00 Berlin");
    }

    @Test
    void theSpringForwardGapOpensAfterTheGap() {
        // 29 March 2026: Berlin jumps from 02:00 to 03:00 local; a 02:30 opening moves later by the gap: 03:30 CEST
        MaintenanceWindow w = MaintenanceWindow.parse("Sun", "02:30-04:00");
        assertEquals(Instant.parse("2026-03-29T01:30:00Z"), w.nextOpen(Instant.parse("2026-03-28T12:00:00Z"), BERLIN));
        assertFalse(w.contains(Instant.parse("2026-03-29T02:00:00Z"), BERLIN), "04:00 CEST: closed");
    }

    @Test
    void theEarliestOfSeveralWindowsWinsAndNoWindowsMeansAlways() {
        List<MaintenanceWindow> ws = List.of(MaintenanceWindow.parse("Mon-Fri", "02:00-04:00"), MaintenanceWindow.parse("Sat", "10:00-11:00"));
        Instant friday5 = Instant.parse("2026-01-09T04:00:00Z"); // Fri 05:00 Berlin
        assertEquals(Instant.parse("2026-01-10T09:00:00Z"), MaintenanceWindow.nextOpen(ws, friday5, BERLIN));
        assertFalse(MaintenanceWindow.allows(ws, friday5, BERLIN));
        assertTrue(MaintenanceWindow.allows(List.of(), friday5, BERLIN));
        assertEquals(friday5, MaintenanceWindow.nextOpen(List.of(), friday5, BERLIN));
    }

    @Test
    void badWindowsAreRefusedNamingTheProblem() {
        for (String[] bad : new String[][] {{"Mon-Fry", "02:00-04:00"}, {"Mon", "2:00-04:00"}, {"Mon", "02:00-02:00"},
                {"Mon", "25:00-26:00"}, {"Mon--Fri", "02:00-04:00"}, {"", "02:00-04:00"}}) {
            assertThrows(IllegalArgumentException.class, () -> MaintenanceWindow.parse(bad[0], bad[1]), String.join(" ", bad));
        }
    }
}
