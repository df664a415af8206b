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
 * What the node sealed about one slot at install time ({@code NODE/state/slots/<slot>.json}, format 2):
 * the signed identity (with the metadata key its version came from; absent in records written before it
 * was kept), the signer, the install time, the instant the package was verified at, the package
 * and manifest digests, every installed entry, the trust evidence ({@link SealedTrust}), whether a copy of
 * an option-2 package is sealed beside it ({@code <slot>.package}), and the verification report as rendered
 * by {@code ReportFormat}. The signed manifest itself is {@code <slot>.mf}.
 *
 * <p>The JSON is not trusted on its own: before using {@link #entries()} the guard re-verifies the sealed
 * signature ({@code SealedEvidence}) and requires every file/symlink digest here to equal the signed one.
 * A format-1 record (no trust evidence) cannot be re-verified: the guard refuses its slot.
 */
public record SealedRecord(String slot, PackageIdentity identity, String signer, Instant installedAt, Instant verifiedAt,
                           String packageSha256, String manifestName, String manifestSha256,
                           List<InstalledEntry> entries, SealedTrust trust, boolean sealedPackage, JsonNode report) {
    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final int FORMAT = 2;

    public SealedRecord {
        Objects.requireNonNull(slot, "slot");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(installedAt, "installedAt");
        Objects.requireNonNull(verifiedAt, "verifiedAt");
        Objects.requireNonNull(trust, "trust");
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
        p.put("versionKey", identity.versionKey());
        o.put("signer", signer);
        o.put("installedAt", installedAt.toString());
        o.put("verifiedAt", verifiedAt.toString());
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
        trust.toJson(o.putObject("trust"));
        o.put("sealedPackage", sealedPackage);
        o.set("report", report == null ? MAPPER.nullNode() : report);
        return MAPPER.writeValueAsBytes(o);
    }

    /** @throws IOException when the file is not a sealed record of this format */
    public static SealedRecord fromJson(byte[] json) throws IOException {
        JsonNode o = MAPPER.readTree(json);
        if (o == null || o.path("format").asInt() != FORMAT) {
            throw new IOException("not a sealed slot record of format " + FORMAT + " (format-1 records carry no signature"
                    + " evidence: reinstall the package)");
        }
        JsonNode p = o.path("package");
        PackageIdentity id = new PackageIdentity(text(p, "name", true), text(p, "version", true),
                text(p, "provider", false), text(p, "releaseTime", false), text(p, "versionKey", false));
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
        Instant verifiedAt;
        try {
            installedAt = Instant.parse(text(o, "installedAt", true));
            verifiedAt = Instant.parse(text(o, "verifiedAt", true));
        } catch (RuntimeException e) {
            throw new IOException("malformed installedAt/verifiedAt in sealed record", e);
        }
        return new SealedRecord(text(o, "slot", true), id, text(o, "signer", false), installedAt, verifiedAt,
                text(o, "packageSha256", false), text(o, "manifestName", false), text(o, "manifestSha256", false),
                entries, SealedTrust.fromJson(o.get("trust")), o.path("sealedPackage").asBoolean(false), o.get("report"));
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
