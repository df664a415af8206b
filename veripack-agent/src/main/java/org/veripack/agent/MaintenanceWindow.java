package org.veripack.agent;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A weekly maintenance window in the node's time zone: the days it opens on and the hours, e.g. {@code days: Mon-Fri},
 * {@code hours: 02:00-04:00}. A window whose end is not after its start runs past midnight into the next day
 * ({@code Sat 22:00-02:00} is open Saturday 22:00 to Sunday 02:00). Start inclusive, end exclusive. Across a
 * daylight-saving change a local time that does not exist moves later by the gap's length (02:30 on a night that
 * jumps from 02:00 to 03:00 is 03:30; {@link java.time.LocalDateTime#atZone}).
 *
 * @param days  the days the window opens on
 * @param start local opening time
 * @param end   local closing time ({@link LocalTime#MIDNIGHT} when {@code toMidnight})
 * @param toMidnight true when the window ends at 24:00 of its day
 */
public record MaintenanceWindow(Set<DayOfWeek> days, LocalTime start, LocalTime end, boolean toMidnight) {
    private static final List<String> NAMES = List.of("mon", "tue", "wed", "thu", "fri", "sat", "sun");

    /**
     * Parses {@code days} ({@code Mon-Fri}, {@code Sat,Sun}, {@code Mon,Wed-Fri}; three-letter English names) and
     * {@code hours} ({@code HH:MM-HH:MM}, end {@code 24:00} allowed).
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static MaintenanceWindow parse(String days, String hours) {
        Set<DayOfWeek> set = EnumSet.noneOf(DayOfWeek.class);
        for (String part : days.split(",")) {
            String[] range = part.trim().split("-");
            if (range.length < 1 || range.length > 2) {
                throw new IllegalArgumentException("days: " + days + " (e.g. Mon-Fri, Sat,Sun)");
            }
            int from = day(range[0], days);
            int to = range.length == 2 ? day(range[1], days) : from;
            for (int d = from; ; d = (d + 1) % 7) {
                set.add(DayOfWeek.of(d + 1));
                if (d == to) {
                    break;
                }
            }
        }
        if (!hours.matches("([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)")) {
            throw new IllegalArgumentException("hours: " + hours + " (HH:MM-HH:MM, e.g. 02:00-04:00 or 22:00-02:00)");
        }
        LocalTime start = LocalTime.parse(hours.substring(0, 5));
        boolean toMidnight = hours.endsWith("24:00");
        LocalTime end = toMidnight ? LocalTime.MIDNIGHT : LocalTime.parse(hours.substring(6));
        if (!toMidnight && end.equals(start)) {
            throw new IllegalArgumentException("hours: " + hours + " opens and closes at the same time");
        }
        return new MaintenanceWindow(Set.copyOf(set), start, end, toMidnight);
    }

    private static int day(String name, String days) {
        int i = NAMES.indexOf(name.trim().toLowerCase(Locale.ROOT));
        if (i < 0) {
            throw new IllegalArgumentException("days: unknown day " + name.trim() + " in " + days + " (Mon Tue Wed Thu Fri Sat Sun)");
        }
        return i;
    }

    private boolean pastMidnight() {
        return !toMidnight && !end.isAfter(start);
    }

    /** The instant the window opening on {@code date} opens, and the one it closes. */
    private Instant[] span(LocalDate date, ZoneId zone) {
        Instant open = date.atTime(start).atZone(zone).toInstant();
        LocalDate endDate = toMidnight || pastMidnight() ? date.plusDays(1) : date;
        Instant close = endDate.atTime(end).atZone(zone).toInstant();
        return new Instant[] {open, close};
    }

    /** Whether {@code t} is inside this window. */
    public boolean contains(Instant t, ZoneId zone) {
        LocalDate today = t.atZone(zone).toLocalDate();
        for (LocalDate d : List.of(today.minusDays(1), today)) {
            if (days.contains(d.getDayOfWeek())) {
                Instant[] s = span(d, zone);
                if (!t.isBefore(s[0]) && t.isBefore(s[1])) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The first instant at or after {@code t} inside this window. */
    public Instant nextOpen(Instant t, ZoneId zone) {
        if (contains(t, zone)) {
            return t;
        }
        LocalDate today = t.atZone(zone).toLocalDate();
        for (int i = 0; i <= 8; i++) {
            LocalDate d = today.plusDays(i);
            if (days.contains(d.getDayOfWeek())) {
                Instant open = span(d, zone)[0];
                if (open.isAfter(t)) {
                    return open;
                }
            }
        }
        throw new IllegalStateException("a weekly window opens within 8 days"); // days is never empty
    }

    /** Whether {@code t} is inside one of {@code windows} (no windows: always). */
    public static boolean allows(List<MaintenanceWindow> windows, Instant t, ZoneId zone) {
        return windows.isEmpty() || windows.stream().anyMatch(w -> w.contains(t, zone));
    }

    /** The first instant at or after {@code t} inside one of {@code windows} ({@code t} itself when there are none). */
    public static Instant nextOpen(List<MaintenanceWindow> windows, Instant t, ZoneId zone) {
        return windows.stream().map(w -> w.nextOpen(t, zone)).min(Instant::compareTo).orElse(t);
    }

    /** For messages: {@code Mon-Fri 02:00-04:00} style. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        DayOfWeek[] all = DayOfWeek.values();
        for (int i = 0; i < all.length; i++) {
            if (!days.contains(all[i])) {
                continue;
            }
            int j = i;
            while (j + 1 < all.length && days.contains(all[j + 1])) {
                j++;
            }
            b.append(b.isEmpty() ? "" : ",").append(name(i)).append(j > i ? "-" + name(j) : "");
            i = j;
        }
        return b + " " + start + "-" + (toMidnight ? "24:00" : end.toString());
    }

    private static String name(int day) {
        return Character.toUpperCase(NAMES.get(day).charAt(0)) + NAMES.get(day).substring(1);
    }
}
