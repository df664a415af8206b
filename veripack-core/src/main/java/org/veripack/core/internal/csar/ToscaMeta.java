package org.veripack.core.internal.csar;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code TOSCA-Metadata/TOSCA.meta} (TOSCA-Simple-Profile-YAML CSAR, SOL004 §4.2): {@code Key: value}
 * lines; keys compared case-insensitively. Only the ETSI entries Veripack uses are exposed.
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

    private Optional<String> get(String key) {
        return Optional.ofNullable(entries.get(key)).filter(v -> !v.isEmpty());
    }

    /** A generated TOSCA.meta for a CSAR whose directory has none. */
    public static byte[] generate(String manifestName, String entryDefinitions) {
        StringBuilder sb = new StringBuilder()
                .append("TOSCA-Meta-File-Version: 1.0\n")
                .append("CSAR-Version: 1.1\n")
                .append("Created-By: Veripack\n");
        if (entryDefinitions != null) {
            sb.append("Entry-Definitions: ").append(entryDefinitions).append('\n');
        }
        sb.append("ETSI-Entry-Manifest: ").append(manifestName).append('\n');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
