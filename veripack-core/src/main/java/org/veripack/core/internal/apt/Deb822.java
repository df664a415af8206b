package org.veripack.core.internal.apt;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One deb822 paragraph (Debian Policy §5.1 "Syntax of control files"): {@code Field: value} lines,
 * continuation lines starting with a space or tab. Field names compare case-insensitively. A field
 * given twice in one paragraph, a continuation line before any field, or a line without a colon is
 * {@link MalformedException} (ambiguous input is never resolved by guessing).
 */
public final class Deb822 {
    private final Map<String, String> fields;

    private Deb822(Map<String, String> fields) {
        this.fields = Collections.unmodifiableMap(fields);
    }

    /** The value of {@code name} (first line trimmed; continuation lines joined with LF), or null. */
    public String get(String name) {
        return fields.get(name.toLowerCase(Locale.ROOT));
    }

    /** Parses one paragraph given as its lines (no empty line inside). */
    public static Deb822 parse(List<String> lines) throws MalformedException {
        Map<String, String> fields = new LinkedHashMap<>();
        String current = null;
        for (String line : lines) {
            if (line.startsWith(" ") || line.startsWith("\t")) {
                if (current == null) {
                    throw new MalformedException("continuation line before any field");
                }
                fields.put(current, fields.get(current) + "\n" + line.strip());
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new MalformedException("line without a field name: '" + abbreviate(line) + "'");
            }
            String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
            if (fields.containsKey(name)) {
                throw new MalformedException("field '" + line.substring(0, colon) + "' given twice in one paragraph");
            }
            fields.put(name, line.substring(colon + 1).strip());
            current = name;
        }
        return new Deb822(fields);
    }

    /**
     * Parses text holding exactly one paragraph (leading/trailing empty lines allowed; a second
     * paragraph is {@link MalformedException}). Used for Release files and .deb control files.
     */
    public static Deb822 parseSingle(String text) throws MalformedException {
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isBlank()) {
            lines.remove(lines.size() - 1);
        }
        while (!lines.isEmpty() && lines.get(0).isBlank()) {
            lines.remove(0);
        }
        for (String line : lines) {
            if (line.isBlank()) {
                throw new MalformedException("more than one paragraph where exactly one is expected");
            }
        }
        if (lines.isEmpty()) {
            throw new MalformedException("empty control data");
        }
        return parse(lines);
    }

    static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "...";
    }
}
