package org.veripack.node.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.veripack.core.DebianVersion;

/**
 * Durable node state under {@code NODE/state/}, every file written by temp file + fsync + atomic rename.
 * {@code versions.json} (highest activated version per package with the metadata key it was read from, the
 * active/previous slot as last recorded, and the version the last rollback left) is written only under the installer lock; {@code last-verification.json} may be written by
 * any command (a lost update there only loses a status line, never the version floor).
 */
public final class StateStore {
    private static final ObjectMapper MAPPER = SealedRecord.MAPPER;
    private final NodeLayout layout;

    public StateStore(NodeLayout layout) {
        this.layout = layout;
    }

    /**
     * @param highestActivated package name to the highest version ever activated (Debian ordering)
     * @param versionKeys      package name to the metadata key that highest version was read from
     *                         ({@link org.veripack.core.PackageIdentity#versionKey()}); a name without an entry
     *                         has a floor written before the key was kept (see {@link #floorKey})
     * @param activeSlot       slot {@code current} pointed at after the last completed activation, or null
     * @param previousSlot     slot {@code previous} pointed at then, or null
     * @param product          the package name the first activation fixed for this node (one node, one product), or null
     * @param rolledBackFrom   the version the last rollback left (the active version was reached by that rollback and
     *                         has no rollback target), or null when the active version was installed
     */
    public record Versions(Map<String, String> highestActivated, Map<String, String> versionKeys, String activeSlot,
                           String previousSlot, String product, String rolledBackFrom) {
        public Versions {
            highestActivated = Map.copyOf(highestActivated);
            versionKeys = Map.copyOf(versionKeys);
        }

        /** A state whose active version was installed (not reached by a rollback). */
        public Versions(Map<String, String> highestActivated, Map<String, String> versionKeys, String activeSlot,
                        String previousSlot, String product) {
            this(highestActivated, versionKeys, activeSlot, previousSlot, product, null);
        }

        public static final Versions EMPTY = new Versions(Map.of(), Map.of(), null, null, null);

        /**
         * This state after rolling back to {@code slot} from version {@code fromVersion}: no previous slot (the
         * version rolled back from is no rollback target), the floor and its key unchanged.
         */
        public Versions rolledBack(String slot, String fromVersion) {
            return new Versions(highestActivated, versionKeys, slot, null, product, fromVersion);
        }

        /** This state with {@link #rolledBackFrom} set to {@code fromVersion} (kept across a repair of the active slot). */
        public Versions withRolledBackFrom(String fromVersion) {
            return new Versions(highestActivated, versionKeys, activeSlot, previousSlot, product, fromVersion);
        }

        public Optional<String> highest(String name) {
            return Optional.ofNullable(highestActivated.get(name));
        }

        /** The metadata key the floor of {@code name} was read from, or empty when unknown (an older floor). */
        public Optional<String> floorKey(String name) {
            return Optional.ofNullable(versionKeys.get(name));
        }

        /**
         * This state after activating {@code slot} of {@code id}: the floor only rises, among versions read from
         * the same metadata key; a version from another key (installed with {@code antiRollback: false}) replaces
         * the floor and its key, since versions of different keys have no order.
         */
        public Versions activated(org.veripack.core.PackageIdentity id, String slot, String previous) {
            Map<String, String> h = new LinkedHashMap<>(highestActivated);
            Map<String, String> k = new LinkedHashMap<>(versionKeys);
            String old = h.get(id.name());
            boolean sameKey = Installer.sameVersionKey(k.get(id.name()), id.versionKey());
            if (old == null || !DebianVersion.isValid(old) || !sameKey || DebianVersion.compare(id.version(), old) > 0) {
                h.put(id.name(), id.version());
                if (id.versionKey() != null) {
                    k.put(id.name(), id.versionKey());
                } else {
                    k.remove(id.name());
                }
            }
            return new Versions(h, k, slot, previous, product != null ? product : id.name());
        }
    }

    public Versions readVersions() throws IOException {
        JsonNode o = readJson(layout.versionsFile());
        if (o == null) {
            return Versions.EMPTY;
        }
        Map<String, String> h = new LinkedHashMap<>();
        o.path("highestActivated").fields().forEachRemaining(e -> h.put(e.getKey(), e.getValue().asText()));
        Map<String, String> k = new LinkedHashMap<>();
        o.path("versionKeys").fields().forEachRemaining(e -> k.put(e.getKey(), e.getValue().asText()));
        return new Versions(h, k, textOrNull(o, "activeSlot"), textOrNull(o, "previousSlot"), textOrNull(o, "product"),
                textOrNull(o, "rolledBackFrom"));
    }

    public void writeVersions(Versions v) throws IOException {
        ObjectNode o = MAPPER.createObjectNode();
        ObjectNode h = o.putObject("highestActivated");
        v.highestActivated().forEach(h::put);
        ObjectNode k = o.putObject("versionKeys");
        v.versionKeys().forEach(k::put);
        o.put("activeSlot", v.activeSlot());
        o.put("previousSlot", v.previousSlot());
        o.put("product", v.product());
        o.put("rolledBackFrom", v.rolledBackFrom());
        DurableFiles.writeAtomically(layout.versionsFile(), MAPPER.writeValueAsBytes(o));
    }

    /** The last verification result document, or null when none was recorded. */
    public JsonNode readLastVerification() throws IOException {
        return readJson(layout.lastVerificationFile());
    }

    public void writeLastVerification(ObjectNode doc) throws IOException {
        DurableFiles.writeAtomically(layout.lastVerificationFile(), MAPPER.writeValueAsBytes(doc));
    }

    public ObjectNode newObject() {
        return MAPPER.createObjectNode();
    }

    public Optional<SealedRecord> readRecord(String slot) throws IOException {
        try {
            return Optional.of(SealedRecord.fromJson(Files.readAllBytes(layout.recordFile(slot))));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * Seals the signed manifest bytes, the option-2 package copy (moved from {@code packageCopy} when not null)
     * and then the record (the record's presence marks a complete seal).
     */
    public void writeRecord(SealedRecord record, byte[] manifestBytes, java.nio.file.Path packageCopy) throws IOException {
        DurableFiles.writeAtomically(layout.manifestFile(record.slot()), manifestBytes);
        if (packageCopy != null) {
            DurableFiles.moveAtomically(packageCopy, layout.packageFile(record.slot()));
        }
        DurableFiles.writeAtomically(layout.recordFile(record.slot()), record.toJsonBytes());
    }

    public void deleteRecord(String slot) throws IOException {
        Files.deleteIfExists(layout.recordFile(slot));
        Files.deleteIfExists(layout.manifestFile(slot));
        Files.deleteIfExists(layout.packageFile(slot));
    }

    private static JsonNode readJson(java.nio.file.Path p) throws IOException {
        try {
            return MAPPER.readTree(Files.readAllBytes(p));
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private static String textOrNull(JsonNode o, String f) {
        JsonNode v = o.get(f);
        return v == null || v.isNull() ? null : v.asText();
    }
}
