package org.veripack.scas.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.veripack.core.PolicyException;
import org.veripack.core.TrustPolicyLoader;

/**
 * Reads the file references of a trust policy YAML (docs/reference.md "Trust policy keys": paths relative to the
 * file) and writes copies of it with absolute paths, one of them also trusting the harness test CA, for the
 * node target's cases whose only defect must be isolated from "untrusted signer" (set into the node's trust
 * store for one install, then the plain copy restores it). Not a policy validator: the product loads it.
 */
final class PolicyFiles {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final List<String> FILE_KEYS = List.of("trustAnchors", "intermediates", "timestampAnchors", "crls",
            "openpgpKeyrings");

    private PolicyFiles() { }

    /** Absolute paths of the files {@code policy} names (anchors, intermediates, time-stamp anchors, CRLs, keyrings). */
    static List<Path> referencedFiles(Path policy) throws IOException {
        Map<String, Object> tree = read(policy);
        List<Path> out = new ArrayList<>();
        for (String key : FILE_KEYS) {
            if (tree.get(key) instanceof List<?> list) {
                for (Object o : list) {
                    out.add(policy.toAbsolutePath().getParent().resolve(String.valueOf(o)).normalize());
                }
            }
        }
        return out;
    }

    /**
     * Whether {@code policy} already trusts the certificate of {@code anchorPem} as a trust anchor (same DER) and,
     * when it has a {@code signers:} map listing {@code packageName}, authorises every one of {@code signers}
     * there: then the node needs no change for the harness's test-CA cases (a lab CA its administrator trusts).
     */
    static boolean trusts(Path policy, Path anchorPem, String packageName, List<String> signers) throws IOException {
        Map<String, Object> tree = read(policy);
        byte[] wanted;
        try {
            wanted = TrustPolicyLoader.readCertificates(null, "test CA", anchorPem).get(0).getEncoded();
        } catch (PolicyException | java.security.cert.CertificateEncodingException e) {
            throw new IOException(anchorPem + ": " + e.getMessage(), e);
        }
        boolean anchored = false;
        Path base = policy.toAbsolutePath().getParent();
        Object anchors = tree.get("trustAnchors");
        for (Object o : anchors instanceof List<?> l ? l : anchors == null ? List.of() : List.of(anchors)) {
            try {
                for (java.security.cert.X509Certificate c : TrustPolicyLoader.readCertificates(policy, "trustAnchors", base.resolve(String.valueOf(o)))) {
                    anchored |= java.util.Arrays.equals(c.getEncoded(), wanted);
                }
            } catch (PolicyException | java.security.cert.CertificateEncodingException e) {
                return false;
            }
        }
        if (!anchored) {
            return false;
        }
        if (packageName != null && tree.get("signers") instanceof Map<?, ?> map && map.get(packageName) instanceof List<?> allowed) {
            return allowed.stream().map(String::valueOf).toList().containsAll(signers);
        }
        return true;
    }

    /** Whether {@code policy} sets the boolean {@code key} to {@code false} explicitly (docs/reference.md "Trust policy keys"). */
    static boolean setsFalse(Path policy, String key) throws IOException {
        return Boolean.FALSE.equals(read(policy).get(key));
    }

    /**
     * Writes {@code out}: {@code policy} with absolute file paths (a single file name becomes a list) and, when
     * {@code extraAnchor} is not null, {@code extraAnchor} appended to the anchors and, when the policy has a
     * {@code signers:} map, {@code extraSigners} (subject DNs) appended to {@code packageName}'s entry, so the
     * harness's test signers are trusted and authorised like the vendor's.
     */
    @SuppressWarnings("unchecked")
    static void copy(Path policy, Path extraAnchor, String packageName, List<String> extraSigners, Path out) throws IOException {
        Map<String, Object> tree = read(policy);
        Path base = policy.toAbsolutePath().getParent();
        for (String key : FILE_KEYS) {
            Object v = tree.get(key);
            if (v instanceof String one) {
                v = List.of(one);
            }
            if (v instanceof List<?> list) {
                List<String> abs = new ArrayList<>();
                for (Object o : list) {
                    abs.add(base.resolve(String.valueOf(o)).normalize().toString());
                }
                tree.put(key, abs);
            }
        }
        if (extraAnchor == null) {
            YAML.writeValue(out.toFile(), tree);
            return;
        }
        List<String> anchors = new ArrayList<>();
        if (tree.get("trustAnchors") instanceof List<?> l) {
            l.forEach(o -> anchors.add(String.valueOf(o)));
        }
        anchors.add(extraAnchor.toAbsolutePath().toString());
        tree.put("trustAnchors", anchors);
        if (packageName != null && tree.get("signers") instanceof Map<?, ?> signers) {
            Map<String, Object> copy = new LinkedHashMap<>((Map<String, Object>) signers);
            List<Object> allowed = new ArrayList<>();
            if (copy.get(packageName) instanceof List<?> l) {
                allowed.addAll(l);
            }
            allowed.addAll(extraSigners);
            copy.put(packageName, allowed);
            tree.put("signers", copy);
        }
        YAML.writeValue(out.toFile(), tree);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> read(Path policy) throws IOException {
        Object o = YAML.readValue(Files.readAllBytes(policy), Object.class);
        if (!(o instanceof Map<?, ?> m)) {
            throw new IOException("trust policy " + policy + " is not a YAML mapping");
        }
        return new LinkedHashMap<>((Map<String, Object>) m);
    }
}
