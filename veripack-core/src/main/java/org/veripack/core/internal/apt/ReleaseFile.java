package org.veripack.core.internal.apt;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Debian archive {@code Release} file (Debian wiki "DebianRepository/Format", section "Release
 * files"): one deb822 paragraph whose {@code SHA256} field lists {@code hex size path} per index file.
 * Only the SHA-256 list is used; {@code MD5Sum}/{@code SHA1} lists are ignored (never trusted).
 */
public final class ReleaseFile {
    /** One line of the {@code SHA256} list. */
    public record IndexEntry(String path, long sizeBytes, String sha256Hex) { }

    private final Deb822 fields;
    private final Map<String, IndexEntry> sha256;

    private ReleaseFile(Deb822 fields, Map<String, IndexEntry> sha256) {
        this.fields = fields;
        this.sha256 = sha256;
    }

    /**
     * @throws MalformedException when the text is not one paragraph, or a {@code SHA256} line is not
     *                            {@code 64-hex size path}, or a path is listed twice
     */
    public static ReleaseFile parse(byte[] content) throws MalformedException {
        Deb822 p = Deb822.parseSingle(new String(content, StandardCharsets.UTF_8));
        Map<String, IndexEntry> entries = new LinkedHashMap<>();
        String list = p.get("SHA256");
        if (list != null) {
            for (String line : list.split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                String[] parts = line.strip().split("[ \t]+");
                if (parts.length != 3 || !parts[0].matches("[0-9a-fA-F]{64}") || !parts[1].matches("[0-9]{1,18}")) {
                    throw new MalformedException("bad SHA256 line in Release: '" + Deb822.abbreviate(line) + "'");
                }
                IndexEntry e = new IndexEntry(parts[2], Long.parseLong(parts[1]),
                        HexFormat.of().formatHex(HexFormat.of().parseHex(parts[0].toLowerCase())));
                if (entries.put(e.path(), e) != null) {
                    throw new MalformedException("index file listed twice in Release: " + e.path());
                }
            }
        }
        return new ReleaseFile(p, entries);
    }

    public String field(String name) { return fields.get(name); }

    /** Whether the Release carries a SHA-256 list at all. */
    public boolean hasSha256() { return fields.get("SHA256") != null; }

    /** Whether it carries only weaker digest lists ({@code MD5Sum}, {@code SHA1}). */
    public boolean hasOnlyWeakDigests() {
        return !hasSha256() && (fields.get("MD5Sum") != null || fields.get("SHA1") != null);
    }

    /** Entries of the SHA256 list whose last path segment is {@code Packages} (uncompressed index files). */
    public List<IndexEntry> packagesIndexes() {
        List<IndexEntry> out = new ArrayList<>();
        for (IndexEntry e : sha256.values()) {
            if (e.path().equals("Packages") || e.path().endsWith("/Packages")) {
                out.add(e);
            }
        }
        return out;
    }

    /**
     * {@code Valid-Until} as an instant, or null when absent.
     *
     * @throws MalformedException when present but not an RFC 2822 date
     */
    public Instant validUntil() throws MalformedException {
        return date("Valid-Until");
    }

    /** {@code Date} as an instant, or null when absent. */
    public Instant date() throws MalformedException {
        return date("Date");
    }

    private Instant date(String name) throws MalformedException {
        String v = fields.get(name);
        if (v == null) {
            return null;
        }
        String s = v.strip();
        // apt writes "UTC"; RFC 1123 parsing in the JDK accepts "GMT" and numeric offsets.
        if (s.endsWith(" UTC")) {
            s = s.substring(0, s.length() - 4) + " GMT";
        } else if (s.endsWith(" Z")) {
            s = s.substring(0, s.length() - 2) + " GMT";
        }
        try {
            return ZonedDateTime.parse(s, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            throw new MalformedException(name + " is not an RFC 2822 date: '" + Deb822.abbreviate(v) + "'", e);
        }
    }
}
