package org.veripack.repo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.veripack.core.PolicyException;
import org.veripack.repo.TufRepository.Role;
import org.veripack.repo.tuf.CanonicalJson;
import org.veripack.repo.tuf.Metadata;
import org.veripack.repo.tuf.RepositoryException;
import org.veripack.repo.tuf.TufKey;

/**
 * The publisher's key handling (TUF spec v1.0.x §4.3; docs/repository.md "Publishing"): signs a role's metadata with
 * every key of the key directory (or token) that the root lists for the role, over the canonical JSON of
 * {@code signed} (§4.1), and builds the {@code signed} part every role shares.
 *
 * <p>Errors: {@link PolicyException} when the keys the publisher holds are fewer than the role's threshold, or a key
 * cannot sign (CLI exit 2).
 */
final class MetadataSigner {
    private final RepositoryKeys keys;

    MetadataSigner(RepositoryKeys keys) {
        this.keys = keys;
    }

    /** The {@code signed} fields every role has (§4.2): {@code _type}, {@code spec_version}, {@code version}, {@code expires}. */
    static ObjectNode signedBase(String type, long version, Instant expires) {
        ObjectNode s = CanonicalJson.JSON.createObjectNode();
        s.put("_type", type);
        s.put("spec_version", TufRepository.SPEC_VERSION);
        s.put("version", version);
        s.put("expires", expires.toString());
        return s;
    }

    /**
     * Signs {@code signed} with every key of {@code role} (as {@code root} lists it) that the key directory holds.
     *
     * @return the metadata document, {@code {"signed": ..., "signatures": [...]}}
     * @throws PolicyException when they are fewer than the role's threshold
     */
    byte[] sign(ObjectNode root, ObjectNode signed, Role role) throws PolicyException {
        List<Metadata.Sig> sigs = signatures(root, role, CanonicalJson.encode(signed));
        int threshold = root.path("roles").path(role.id()).path("threshold").asInt();
        if (sigs.size() < threshold) {
            throw new PolicyException("the " + role.id() + " role needs " + threshold + " signatures; " + keys.directory()
                    + " holds " + sigs.size() + " of its keys");
        }
        return Metadata.document(signed, sigs);
    }

    /** One signature over {@code data} by each key of {@code role} in {@code root} that the key directory holds. */
    List<Metadata.Sig> signatures(JsonNode root, Role role, byte[] data) throws PolicyException {
        List<Metadata.Sig> sigs = new ArrayList<>();
        for (Map.Entry<String, TufKey> e : roleKeys(root, role).entrySet()) {
            PrivateKey pk = keys.privateKey(e.getValue());
            if (pk != null) {
                sigs.add(signature(e.getKey(), e.getValue(), pk, data, role));
            }
        }
        return sigs;
    }

    /** The signature of {@code key} (a PEM key, or a token's through {@link RepositoryKeys#jca}) over {@code data}. */
    static Metadata.Sig signature(String keyId, TufKey key, PrivateKey pk, byte[] data, Role role) throws PolicyException {
        try {
            return new Metadata.Sig(keyId, key.sign(pk.getEncoded() == null ? pk : RepositoryKeys.jca(pk), data));
        } catch (GeneralSecurityException ex) {
            throw new PolicyException(role.id() + " key " + keyId + ": " + ex.getMessage(), ex);
        }
    }

    /** The keys {@code root} lists for {@code role}, by key id. */
    static Map<String, TufKey> roleKeys(JsonNode root, Role role) throws PolicyException {
        Map<String, TufKey> roleKeys = new LinkedHashMap<>();
        for (var id : root.path("roles").path(role.id()).path("keyids")) {
            try {
                roleKeys.put(id.asText(), TufKey.parse("root", root.path("keys").path(id.asText())));
            } catch (RepositoryException e) {
                throw new PolicyException(e.getMessage(), e);
            }
        }
        return roleKeys;
    }
}
