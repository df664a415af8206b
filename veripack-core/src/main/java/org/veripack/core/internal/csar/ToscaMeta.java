package org.veripack.core.internal.csar;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code TOSCA-Metadata/TOSCA.meta} (TOSCA-Simple-Profile-YAML CSAR, SOL004 §4.2): {@code Key: value}
 * lines; keys compared case-insensitively. Block 0 (up to the first blank line) holds the entries
 * ({@code Entry-Definitions}, {@code ETSI-Entry-Manifest}, ...); later blocks, separated by blank lines,
 * describe single files ({@code Name}, {@code Content-Type}, and in Tacker's packages {@code Algorithm},
 * {@code Hash}). Only the entries Veripack uses are exposed.
 */
public record ToscaMeta(Map<String, String> entries) {
    public static final String PATH = "TOSCA-Metadata/TOSCA.meta";

    /** Parses the file leniently (it is not the signed object; the manifest is). */
    public static ToscaMeta parse(byte[] bytes) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith(" ") && !line.startsWith("\t")) {
                map.putIfAbsent(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), line.substring(colon + 1).strip());
            }
        }
        return new ToscaMeta(Map.copyOf(map));
    }

    /** {@code ETSI-Entry-Manifest} (or the older {@code Entry-Manifest}). */
    public Optional<String> entryManifest() {
        return get("etsi-entry-manifest").or(() -> get("entry-manifest"));
    }

    /** {@code ETSI-Entry-Certificate} (or {@code Entry-Certificate}). */
    public Optional<String> entryCertificate() {
        return get("etsi-entry-certificate").or(() -> get("entry-certificate"));
    }

    /** {@code Entry-Definitions}: the main TOSCA definitions file. */
    public Optional<String> entryDefinitions() {
        return get("entry-definitions");
    }

    /** {@code ETSI-Entry-Change-Log} (or the older {@code Entry-Change-Log}). */
    public Optional<String> entryChangeLog() {
        return get("etsi-entry-change-log").or(() -> get("entry-change-log"));
    }

    /**
     * A block after block 0 with a {@code Name} entry: one file of the package described in TOSCA.meta.
     *
     * @param name    the {@code Name} value (a package path)
     * @param entries every {@code Key: value} of the block, keys in lower case
     */
    public record FileBlock(String name, Map<String, String> entries) {
        /** {@code Algorithm}, when given. */
        public Optional<String> algorithm() { return Optional.ofNullable(entries.get("algorithm")).filter(v -> !v.isEmpty()); }

        /** {@code Hash}, when given. */
        public Optional<String> hash() { return Optional.ofNullable(entries.get("hash")).filter(v -> !v.isEmpty()); }
    }

    /** The file blocks of {@code bytes}, in file order (blocks without {@code Name} are skipped). */
    public static List<FileBlock> fileBlocks(byte[] bytes) {
        List<FileBlock> out = new ArrayList<>();
        List<List<String>> blocks = blocks(new String(bytes, StandardCharsets.UTF_8));
        for (List<String> block : blocks.subList(Math.min(1, blocks.size()), blocks.size())) {
            Map<String, String> entries = new LinkedHashMap<>();
            for (String line : block) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    entries.putIfAbsent(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), line.substring(colon + 1).strip());
                }
            }
            if (entries.containsKey("name")) {
                out.add(new FileBlock(entries.get("name"), Map.copyOf(entries)));
            }
        }
        return out;
    }

    /**
     * {@code bytes} with {@code additions} ({@code Key: value} lines, in order) appended to block 0, in the
     * file's own line ending (CRLF when its first line ends so), everything else byte for byte.
     */
    public static byte[] withBlock0Entries(byte[] bytes, Map<String, String> additions) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        int firstLf = text.indexOf('\n');
        String eol = firstLf > 0 && text.charAt(firstLf - 1) == '\r' ? "\r\n" : "\n";
        StringBuilder lines = new StringBuilder();
        additions.forEach((k, v) -> lines.append(k).append(": ").append(v).append(eol));
        int end = blankLine(text);
        if (end < 0) {
            String sep = text.isEmpty() || text.endsWith("\n") ? "" : eol;
            return (text + sep + lines).getBytes(StandardCharsets.UTF_8);
        }
        return (text.substring(0, end) + lines + text.substring(end)).getBytes(StandardCharsets.UTF_8);
    }

    /** Offset where the first blank line starts (the end of block 0), or -1 when there is none. */
    private static int blankLine(String text) {
        int start = 0;
        while (start < text.length()) {
            int lf = text.indexOf('\n', start);
            String line = lf < 0 ? text.substring(start) : text.substring(start, lf);
            if (line.isBlank() && start > 0) {
                return start;
            }
            if (lf < 0) {
                return -1;
            }
            start = lf + 1;
        }
        return -1;
    }

    private static List<List<String>> blocks(String text) {
        List<List<String>> blocks = new ArrayList<>();
        List<String> current = new ArrayList<>();
        for (String line : text.split("\r?\n")) {
            if (line.isBlank()) {
                if (!current.isEmpty()) {
                    blocks.add(current);
                    current = new ArrayList<>();
                }
            } else {
                current.add(line);
            }
        }
        if (!current.isEmpty()) {
            blocks.add(current);
        }
        return blocks;
    }

    private Optional<String> get(String key) {
        return Optional.ofNullable(entries.get(key)).filter(v -> !v.isEmpty());
    }

    /**
     * A generated TOSCA.meta (block 0 only) with {@code entries} in order, LF line ends. Callers give the
     * SOL004 §4.2 entries: {@code TOSCA-Meta-File-Version}, {@code CSAR-Version}, {@code Created-By},
     * {@code Entry-Definitions}, {@code ETSI-Entry-Manifest}, {@code ETSI-Entry-Change-Log}, ...
     */
    public static byte[] generate(Map<String, String> entries) {
        return withBlock0Entries(new byte[0], entries);
    }
}
