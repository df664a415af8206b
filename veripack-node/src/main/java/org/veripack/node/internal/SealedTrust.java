package org.veripack.node.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.veripack.core.ArchiveExecuteBits;
import org.veripack.core.RevocationMode;
import org.veripack.core.TrustPolicy;

/**
 * The trust the node sealed with a slot at install time, so the guard can re-verify the sealed signed
 * manifest without the operator's policy files (which may have changed since): the X.509 trust anchors,
 * intermediates and RFC 3161 time-stamp anchors of the install-time policy, the certificates the package
 * shipped beside its manifest, the policy's algorithm rules, its certificate-policy inputs (RFC 5280 §6.1.1: a slot
 * verified under {@code initialPolicies} X is re-checked under X) and its {@code archiveExecuteBits} rule. Revocation is not re-checked (it was at
 * install; the guard works offline), nor are the policy's signer-authorisation rules (they were applied
 * to the same manifest at install).
 *
 * @param trustAnchors         X.509 trust anchors of the install-time policy
 * @param intermediates        its extra intermediate certificates
 * @param timestampAnchors     its RFC 3161 TSA roots
 * @param manifestCertificates certificates shipped beside the manifest ({@code .cert})
 * @param requireCodeSigningEku the policy's EKU rule
 * @param allowedDigestAlgorithms JCA names the policy allowed
 * @param minRsaKeyBits        the policy's RSA floor
 * @param archiveExecuteBits   the policy's rule for unsigned zip execute bits: with {@code HONOUR} the record may
 *                             carry mode {@code 0755} for a file whose signed manifest block has no
 *                             {@code Veripack-Mode} ({@code SealedEvidence}); absent in older records: {@code IGNORE}
 * @param initialPolicies      the policy's user-initial-policy-set (OIDs; empty = any-policy)
 * @param requireExplicitPolicy the policy's initial-explicit-policy
 * @param inhibitPolicyMapping the policy's initial-policy-mapping-inhibit
 * @param inhibitAnyPolicy     the policy's initial-any-policy-inhibit; the four are absent in records sealed before
 *                             they were: the RFC's defaults, which those slots were re-checked with
 */
public record SealedTrust(List<X509Certificate> trustAnchors, List<X509Certificate> intermediates,
                          List<X509Certificate> timestampAnchors, List<X509Certificate> manifestCertificates,
                          boolean requireCodeSigningEku, Set<String> allowedDigestAlgorithms, int minRsaKeyBits,
                          ArchiveExecuteBits archiveExecuteBits, Set<String> initialPolicies, boolean requireExplicitPolicy,
                          boolean inhibitPolicyMapping, boolean inhibitAnyPolicy) {
    public SealedTrust {
        Objects.requireNonNull(archiveExecuteBits, "archiveExecuteBits");
        trustAnchors = List.copyOf(trustAnchors);
        intermediates = List.copyOf(intermediates);
        timestampAnchors = List.copyOf(timestampAnchors);
        manifestCertificates = List.copyOf(manifestCertificates);
        allowedDigestAlgorithms = Set.copyOf(allowedDigestAlgorithms);
        initialPolicies = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(initialPolicies));
    }

    /** What to seal from the install-time policy and the package's manifest certificates. */
    public static SealedTrust of(TrustPolicy policy, List<X509Certificate> manifestCertificates) {
        return new SealedTrust(policy.trustAnchors(), policy.intermediates(), policy.timestampAnchors(), manifestCertificates,
                policy.requireCodeSigningEku(), policy.allowedDigestAlgorithms(), policy.minRsaKeyBits(), policy.archiveExecuteBits(),
                policy.initialPolicies(), policy.requireExplicitPolicy(), policy.inhibitPolicyMapping(), policy.inhibitAnyPolicy());
    }

    /**
     * This trust without the certificates the package shipped beside its manifest: the part the node's trust
     * administrator chose (the certificate-policy inputs included). The guard admits a slot only when this equals the
     * form of a trust configuration the administrator set ({@code NodeTrust#administeredTrust()}, docs/node.md
     * "Sealed trust and current trust").
     */
    public SealedTrust administeredForm() {
        return new SealedTrust(trustAnchors, intermediates, timestampAnchors, List.of(), requireCodeSigningEku,
                allowedDigestAlgorithms, minRsaKeyBits, archiveExecuteBits, initialPolicies, requireExplicitPolicy,
                inhibitPolicyMapping, inhibitAnyPolicy);
    }

    /**
     * The policy the guard re-verifies with: these anchors and rules (the certificate-policy inputs included),
     * revocation OFF.
     *
     * @throws IOException when the sealed trust cannot form a policy (no anchor, bad rule): the record was altered
     */
    public TrustPolicy policy() throws IOException {
        try {
            return TrustPolicy.builder().trustAnchors(trustAnchors).intermediates(intermediates).timestampAnchors(timestampAnchors)
                    .requireCodeSigningEku(requireCodeSigningEku).allowedDigestAlgorithms(allowedDigestAlgorithms)
                    .minRsaKeyBits(minRsaKeyBits).archiveExecuteBits(archiveExecuteBits).initialPolicies(initialPolicies)
                    .requireExplicitPolicy(requireExplicitPolicy).inhibitPolicyMapping(inhibitPolicyMapping)
                    .inhibitAnyPolicy(inhibitAnyPolicy).revocation(RevocationMode.OFF).build();
        } catch (IllegalArgumentException e) {
            throw new IOException("sealed trust does not form a trust policy: " + e.getMessage(), e);
        }
    }

    /** Writes this trust into {@code o} (the {@code trust} object of a sealed record); returns {@code o}. */
    public ObjectNode toJson(ObjectNode o) throws IOException {
        certs(o.putArray("trustAnchors"), trustAnchors);
        certs(o.putArray("intermediates"), intermediates);
        certs(o.putArray("timestampAnchors"), timestampAnchors);
        certs(o.putArray("manifestCertificates"), manifestCertificates);
        o.put("requireCodeSigningEku", requireCodeSigningEku);
        ArrayNode a = o.putArray("allowedDigestAlgorithms");
        allowedDigestAlgorithms.stream().sorted().forEach(a::add);
        o.put("minRsaKeyBits", minRsaKeyBits);
        o.put("archiveExecuteBits", archiveExecuteBits.name().toLowerCase(Locale.ROOT));
        ArrayNode p = o.putArray("initialPolicies");
        initialPolicies.forEach(p::add);
        o.put("requireExplicitPolicy", requireExplicitPolicy);
        o.put("inhibitPolicyMapping", inhibitPolicyMapping);
        o.put("inhibitAnyPolicy", inhibitAnyPolicy);
        return o;
    }

    /**
     * Reads what {@link #toJson} wrote; keys added later read as their defaults in older records.
     *
     * @throws IOException when the object is missing, a rule is unreadable or a certificate does not decode
     */
    public static SealedTrust fromJson(JsonNode o) throws IOException {
        if (o == null || !o.isObject()) {
            throw new IOException("sealed record lacks its trust evidence");
        }
        Set<String> algs = new LinkedHashSet<>();
        o.path("allowedDigestAlgorithms").forEach(n -> algs.add(n.asText()));
        if (!o.path("requireCodeSigningEku").isBoolean() || !o.path("minRsaKeyBits").isInt()) {
            throw new IOException("sealed trust lacks its rules");
        }
        ArchiveExecuteBits exec;
        switch (o.path("archiveExecuteBits").asText("ignore")) {
            case "ignore" -> exec = ArchiveExecuteBits.IGNORE;
            case "honour" -> exec = ArchiveExecuteBits.HONOUR;
            default -> throw new IOException("sealed trust has an unknown archiveExecuteBits rule");
        }
        Set<String> initialPolicies = new LinkedHashSet<>();
        JsonNode p = o.path("initialPolicies");
        if (!p.isMissingNode() && !p.isArray()) {
            throw new IOException("sealed trust has unreadable initialPolicies");
        }
        for (JsonNode n : p) {
            if (!n.isTextual()) {
                throw new IOException("sealed trust has unreadable initialPolicies");
            }
            initialPolicies.add(n.asText());
        }
        return new SealedTrust(certs(o.path("trustAnchors")), certs(o.path("intermediates")), certs(o.path("timestampAnchors")),
                certs(o.path("manifestCertificates")), o.path("requireCodeSigningEku").asBoolean(), algs, o.path("minRsaKeyBits").asInt(),
                exec, initialPolicies, flag(o, "requireExplicitPolicy"), flag(o, "inhibitPolicyMapping"), flag(o, "inhibitAnyPolicy"));
    }

    /** A sealed boolean; absent (a record sealed before the key existed) = false, the RFC 5280 default. */
    private static boolean flag(JsonNode o, String key) throws IOException {
        JsonNode n = o.path(key);
        if (n.isMissingNode()) {
            return false;
        }
        if (!n.isBoolean()) {
            throw new IOException("sealed trust has an unreadable " + key);
        }
        return n.asBoolean();
    }

    private static void certs(ArrayNode a, List<X509Certificate> certs) throws IOException {
        for (X509Certificate c : certs) {
            try {
                a.add(Base64.getEncoder().encodeToString(c.getEncoded()));
            } catch (CertificateEncodingException e) {
                throw new IOException("cannot encode a certificate to seal", e);
            }
        }
    }

    private static List<X509Certificate> certs(JsonNode a) throws IOException {
        List<X509Certificate> out = new ArrayList<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (JsonNode n : a) {
                out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(n.asText()))));
            }
        } catch (CertificateException | IllegalArgumentException | ClassCastException e) {
            throw new IOException("sealed certificate unreadable: " + e.getMessage(), e);
        }
        return out;
    }
}
