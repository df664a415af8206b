package org.veripack.repo.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.veripack.core.FindingCode;

/**
 * One TUF metadata file (spec §4.2 "signed"/"signatures" envelope) with its role-specific content parsed: the
 * one reading of metadata for the publisher and the client. The bytes a signature covers are
 * {@link #canonicalSigned()}.
 *
 * @param type       {@code root}, {@code timestamp}, {@code snapshot} or {@code targets} ({@code signed._type})
 * @param version    {@code signed.version}, at least 1
 * @param expires    {@code signed.expires}
 * @param signed     the {@code signed} object as read
 * @param signatures the {@code signatures} entries as read: key id and signature bytes
 */
public record Metadata(String type, long version, Instant expires, ObjectNode signed, List<Sig> signatures) {
    /** One entry of {@code signatures}: {@code keyid} and {@code sig} (hex in the file). */
    public record Sig(String keyId, byte[] value) { }

    /** A role of root metadata (§4.3 "roles"): the key ids that may sign it and how many distinct keys must. */
    public record Role(List<String> keyIds, int threshold) { }

    /** A {@code METAFILES} entry (§4.4 snapshot, §4.5 timestamp): version, and length and hashes when present. */
    public record MetaFile(long version, Long length, Map<String, String> hashes) { }

    /** A {@code TARGETS} entry (§4.5 targets): length, hashes and the optional {@code custom} object. */
    public record TargetFile(String name, long length, Map<String, String> hashes, JsonNode custom) { }

    static final Set<String> TYPES = Set.of("root", "timestamp", "snapshot", "targets");

    /**
     * Parses metadata bytes as role {@code expectedType}.
     *
     * @param subject the file name, for findings
     * @throws RepositoryException {@code REPO_MALFORMED} when the bytes are not such a document (not JSON, duplicate
     *                             keys, wrong {@code _type}, missing or mistyped field)
     */
    public static Metadata parse(String subject, byte[] bytes, String expectedType) throws RepositoryException {
        JsonNode doc;
        try {
            doc = CanonicalJson.JSON.readTree(bytes);
        } catch (IOException e) {
            throw malformed(subject, "not JSON: " + String.valueOf(e.getMessage()).split("\n")[0]);
        }
        if (doc == null || !doc.path("signed").isObject() || !doc.path("signatures").isArray()) {
            throw malformed(subject, "not TUF metadata (no signed object and signatures array)");
        }
        ObjectNode signed = (ObjectNode) doc.get("signed");
        String type = signed.path("_type").asText("");
        if (!type.equals(expectedType)) {
            throw new RepositoryException(FindingCode.REPO_MALFORMED, subject, "wrong metadata type", expectedType, type);
        }
        JsonNode v = signed.path("version");
        if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < 1) {
            throw malformed(subject, "signed.version must be an integer >= 1");
        }
        if (!signed.path("spec_version").asText("").startsWith("1.")) {
            throw malformed(subject, "unsupported spec_version " + signed.path("spec_version"));
        }
        Instant expires;
        try {
            expires = Instant.parse(signed.path("expires").asText(""));
        } catch (DateTimeParseException e) {
            throw malformed(subject, "signed.expires is not an ISO-8601 instant: " + signed.path("expires"));
        }
        List<Sig> sigs = new ArrayList<>();
        for (JsonNode s : doc.get("signatures")) {
            try {
                sigs.add(new Sig(s.path("keyid").asText(""), HexFormat.of().parseHex(s.path("sig").asText(""))));
            } catch (IllegalArgumentException e) {
                sigs.add(new Sig(s.path("keyid").asText(""), new byte[0])); // not hex: a signature that never verifies
            }
        }
        return new Metadata(type, v.asLong(), expires, signed, List.copyOf(sigs));
    }

    static RepositoryException malformed(String subject, String detail) {
        return new RepositoryException(FindingCode.REPO_MALFORMED, subject, detail);
    }

    /** The bytes the signatures cover: canonical JSON of {@code signed} (§4.2). */
    public byte[] canonicalSigned() {
        return CanonicalJson.encode(signed);
    }

    /**
     * A whole metadata document, {@code {"signatures": [...], "signed": ...}}, as standard JSON (canonical JSON is only
     * what signatures cover: it leaves control characters such as a PEM key's line breaks unescaped, which JSON
     * parsers refuse in a file).
     */
    public static byte[] document(ObjectNode signed, List<Sig> signatures) {
        ObjectNode doc = CanonicalJson.JSON.createObjectNode();
        ArrayNode arr = doc.putArray("signatures");
        for (Sig s : signatures) {
            arr.addObject().put("keyid", s.keyId()).put("sig", HexFormat.of().formatHex(s.value()));
        }
        doc.set("signed", signed);
        try {
            return CanonicalJson.JSON.writeValueAsBytes(doc);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Root (§4.3): {@code consistent_snapshot}. */
    public boolean consistentSnapshot() {
        return signed.path("consistent_snapshot").asBoolean(false);
    }

    /** Root (§4.3): the keys by key id. */
    public Map<String, TufKey> keys(String subject) throws RepositoryException {
        Map<String, TufKey> keys = new LinkedHashMap<>();
        JsonNode k = signed.path("keys");
        if (!k.isObject()) {
            throw malformed(subject, "root has no keys object");
        }
        for (Map.Entry<String, JsonNode> e : k.properties()) {
            keys.put(e.getKey(), TufKey.parse(subject, e.getValue()));
        }
        return keys;
    }

    /** Root (§4.3): role {@code name}. */
    public Role role(String subject, String name) throws RepositoryException {
        JsonNode r = signed.path("roles").path(name);
        JsonNode t = r.path("threshold");
        if (!r.path("keyids").isArray() || !t.isIntegralNumber() || t.asLong() < 1 || t.asLong() > Integer.MAX_VALUE) {
            throw malformed(subject, "root role " + name + " needs keyids and a threshold >= 1");
        }
        List<String> ids = new ArrayList<>();
        r.get("keyids").forEach(i -> ids.add(i.asText()));
        return new Role(List.copyOf(ids), t.asInt());
    }

    /** Timestamp (§4.6) {@code meta["snapshot.json"]}, snapshot (§4.5) {@code meta[name]}. */
    public MetaFile meta(String subject, String name) throws RepositoryException {
        JsonNode m = signed.path("meta").path(name);
        if (!m.path("version").isIntegralNumber()) {
            throw malformed(subject, "meta has no version for " + name);
        }
        JsonNode len = m.get("length");
        if (len != null && (!len.isIntegralNumber() || len.asLong() < 0)) {
            throw malformed(subject, "meta length of " + name + " is not a non-negative integer");
        }
        return new MetaFile(m.get("version").asLong(), len == null ? null : len.asLong(), hashes(subject, m.get("hashes")));
    }

    /** Snapshot (§4.5): the names its {@code meta} lists. */
    public List<String> metaNames() {
        List<String> names = new ArrayList<>();
        signed.path("meta").fieldNames().forEachRemaining(names::add);
        return names;
    }

    /**
     * Targets (§4.5): every target, by name.
     *
     * @throws RepositoryException {@code REPO_MALFORMED} when the targets object is missing, an entry lacks its length or
     *                             hashes, or a target name is not a safe relative path ({@link #isSafeTargetPath})
     */
    public Map<String, TargetFile> targets(String subject) throws RepositoryException {
        JsonNode t = signed.path("targets");
        if (!t.isObject()) {
            throw malformed(subject, "targets metadata has no targets object");
        }
        Map<String, TargetFile> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : t.properties()) {
            if (!isSafeTargetPath(e.getKey())) {
                throw malformed(subject, "target name is not a safe relative path: " + printable(e.getKey()));
            }
            JsonNode len = e.getValue().path("length");
            Map<String, String> h = hashes(subject, e.getValue().get("hashes"));
            if (!len.isIntegralNumber() || len.asLong() < 0 || h == null || h.isEmpty()) {
                throw malformed(subject, "target " + e.getKey() + " needs a length and hashes");
            }
            out.put(e.getKey(), new TargetFile(e.getKey(), len.asLong(), h, e.getValue().get("custom")));
        }
        return out;
    }

    /**
     * §4.5 TARGETPATH: a path relative to the repository's {@code targets/}, the name of a file there and of the node's
     * download: non-empty segments separated by {@code /}, none {@code .} or {@code ..}, no leading {@code /}, no
     * backslash and no control character, so it can never name a file outside {@code targets/}.
     */
    public static boolean isSafeTargetPath(String name) {
        if (name.isEmpty() || name.startsWith("/") || name.contains("\\") || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            return false;
        }
        for (String segment : name.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return false;
            }
        }
        return true;
    }

    private static String printable(String name) {
        StringBuilder b = new StringBuilder();
        name.chars().forEach(c -> b.append(c < 0x20 || c == 0x7f ? String.format("\\u%04x", c) : String.valueOf((char) c)));
        return b.toString();
    }

    private static Map<String, String> hashes(String subject, JsonNode h) throws RepositoryException {
        if (h == null) {
            return null;
        }
        if (!h.isObject()) {
            throw malformed(subject, "hashes is not an object");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : h.properties()) {
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }
}
