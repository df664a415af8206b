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
 * {@code Hash}; {@link #fileBlocks}, the one reading of them for {@code sign} and the verifier). Only the entries
 * Veripack uses are exposed.
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
     * @param name    the {@code Name} value (a package path, or a URI naming an external artifact)
     * @param entries every {@code Key: value} of the block, keys in lower case (the first of a repeated key)
     * @param line    1-based line of the block's first line in TOSCA.meta
     */
    public record FileBlock(String name, Map<String, String> entries, int line) {
        /** True when the block states a digest ({@code Algorithm} or {@code Hash}). */
        public boolean hasDigest() { return algorithm().isPresent() || hash().isPresent(); }

        /** {@code Algorithm}, when given. */
        public Optional<String> algorithm() { return Optional.ofNullable(entries.get("algorithm")).filter(v -> !v.isEmpty()); }

        /** {@code Hash}, when given. */
        public Optional<String> hash() { return Optional.ofNullable(entries.get("hash")).filter(v -> !v.isEmpty()); }
    }

    /** The file blocks of {@code bytes}, in file order (blocks without {@code Name} are skipped). */
    public static List<FileBlock> fileBlocks(byte[] bytes) {
        return readBlocks(bytes, null);
    }

    /**
     * Why file blocks of {@code bytes} cannot be read unambiguously: a block stating a digest without {@code Name}
     * (which file it describes is unknown), a key repeated in one block (which value holds is unknown). Empty when
     * there is nothing to say; the verifier reports each as {@code MALFORMED_PACKAGE}.
     */
    public static List<String> fileBlockProblems(byte[] bytes) {
        List<String> problems = new ArrayList<>();
        readBlocks(bytes, problems);
        return problems;
    }

    private static List<FileBlock> readBlocks(byte[] bytes, List<String> problems) {
        List<FileBlock> out = new ArrayList<>();
        List<Block> blocks = blocks(new String(bytes, StandardCharsets.UTF_8));
        for (Block block : blocks.subList(Math.min(1, blocks.size()), blocks.size())) {
            Map<String, String> entries = new LinkedHashMap<>();
            for (String line : block.lines()) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    String key = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
                    if (entries.putIfAbsent(key, line.substring(colon + 1).strip()) != null && problems != null) {
                        problems.add("key '" + key + "' repeated in the block at line " + block.line());
                    }
                }
            }
            FileBlock b = new FileBlock(entries.get("name"), Map.copyOf(entries), block.line());
            if (b.name() != null && !b.name().isEmpty()) {
                out.add(b);
            } else if (b.hasDigest() && problems != null) {
                problems.add("block at line " + block.line() + " has Algorithm/Hash but no Name");
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

    /** Lines of one block and the 1-based line number of its first. */
    private record Block(List<String> lines, int line) { }

    private static List<Block> blocks(String text) {
        List<Block> blocks = new ArrayList<>();
        List<String> current = new ArrayList<>();
        String[] lines = text.split("\r?\n");
        int first = 0;
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                if (!current.isEmpty()) {
                    blocks.add(new Block(current, first));
                    current = new ArrayList<>();
                }
            } else {
                if (current.isEmpty()) {
                    first = i + 1;
                }
                current.add(lines[i]);
            }
        }
        if (!current.isEmpty()) {
            blocks.add(new Block(current, first));
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
