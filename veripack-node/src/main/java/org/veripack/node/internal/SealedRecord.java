package org.veripack.node.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.veripack.core.ArtifactType;
import org.veripack.core.PackageIdentity;

/**
 * What the node sealed about one slot at install time ({@code NODE/state/slots/<slot>.json}): the
 * signed identity, the signer, the install time, the package and manifest digests, every installed
 * entry, and the verification report as rendered by {@code ReportFormat}. The guard re-verifies the
 * slot against {@link #entries()}.
 */
public record SealedRecord(String slot, PackageIdentity identity, String signer, Instant installedAt,
                           String packageSha256, String manifestName, String manifestSha256,
                           List<InstalledEntry> entries, JsonNode report) {
    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final int FORMAT = 1;

    public SealedRecord {
        Objects.requireNonNull(slot, "slot");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(installedAt, "installedAt");
        entries = List.copyOf(entries);
    }

    public byte[] toJsonBytes() throws IOException {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("format", FORMAT);
        o.put("slot", slot);
        ObjectNode p = o.putObject("package");
        p.put("name", identity.name());
        p.put("version", identity.version());
        p.put("provider", identity.provider());
        p.put("releaseTime", identity.releaseTime());
        o.put("signer", signer);
        o.put("installedAt", installedAt.toString());
        o.put("packageSha256", packageSha256);
        o.put("manifestName", manifestName);
        o.put("manifestSha256", manifestSha256);
        ArrayNode es = o.putArray("entries");
        for (InstalledEntry e : entries) {
            ObjectNode n = es.addObject();
            n.put("path", e.path());
            n.put("type", e.type().name());
            n.put("mode", String.format("%04o", e.signedMode()));
            n.put("size", e.sizeBytes());
            n.put("algorithm", e.algorithm());
            n.put("digest", e.digestHex());
            n.put("linkTarget", e.linkTarget());
        }
        o.set("report", report == null ? MAPPER.nullNode() : report);
        return MAPPER.writeValueAsBytes(o);
    }

    /** @throws IOException when the file is not a sealed record of this format */
    public static SealedRecord fromJson(byte[] json) throws IOException {
        JsonNode o = MAPPER.readTree(json);
        if (o == null || o.path("format").asInt() != FORMAT) {
            throw new IOException("not a sealed slot record (format " + FORMAT + ")");
        }
        JsonNode p = o.path("package");
        PackageIdentity id = new PackageIdentity(text(p, "name", true), text(p, "version", true),
                text(p, "provider", false), text(p, "releaseTime", false));
        List<InstalledEntry> entries = new ArrayList<>();
        for (JsonNode n : o.path("entries")) {
            try {
                entries.add(new InstalledEntry(text(n, "path", true), ArtifactType.valueOf(text(n, "type", true)),
                        Integer.parseInt(text(n, "mode", true), 8), n.path("size").asLong(),
                        text(n, "algorithm", false), text(n, "digest", false), text(n, "linkTarget", false)));
            } catch (IllegalArgumentException e) {
                throw new IOException("malformed entry in sealed record: " + n, e);
            }
        }
        Instant installedAt;
        try {
            installedAt = Instant.parse(text(o, "installedAt", true));
        } catch (RuntimeException e) {
            throw new IOException("malformed installedAt in sealed record", e);
        }
        return new SealedRecord(text(o, "slot", true), id, text(o, "signer", false), installedAt,
                text(o, "packageSha256", false), text(o, "manifestName", false), text(o, "manifestSha256", false),
                entries, o.get("report"));
    }

    private static String text(JsonNode n, String field, boolean required) throws IOException {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new IOException("sealed record lacks " + field);
            }
            return null;
        }
        return v.asText();
    }
}
