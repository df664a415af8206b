package org.veripack.core.internal.csar;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import java.util.Locale;
import javax.security.auth.x500.X500Principal;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.TrustPolicy;

/**
 * The trust policy's {@code signers:} map (DESIGN.md "Trust policy file"): which signer may sign which
 * package. An empty map allows any trusted signer. When the map is not empty, a package whose name is
 * not in it is {@code SIGNER_NOT_AUTHORIZED} (fail closed), as is a signer matching none of the
 * package's entries. An entry is a subject DN (RFC 4514, compared as {@link X500Principal}, RDNs in either order) or
 * {@code sha256:HEX}, the SHA-256 of the signer's SubjectPublicKeyInfo DER.
 */
public final class SignerAuthorization {
    private SignerAuthorization() { }

    /** Null when authorised, else the finding. */
    public static Finding check(TrustPolicy policy, String packageName, List<X509Certificate> signers) {
        if (policy.signers().isEmpty() || signers.isEmpty()) {
            return null;
        }
        List<String> allowed = policy.signers().get(packageName);
        String who = signers.get(0).getSubjectX500Principal().getName(X500Principal.RFC2253);
        if (allowed == null) {
            return Finding.of(FindingCode.SIGNER_NOT_AUTHORIZED, who,
                    "the trust policy names no signer for package '" + packageName + "'");
        }
        for (X509Certificate cert : signers) {
            for (String rule : allowed) {
                if (matches(rule, cert)) {
                    return null;
                }
            }
        }
        return Finding.mismatch(FindingCode.SIGNER_NOT_AUTHORIZED, who,
                "signer is not allowed to sign package '" + packageName + "'", String.join("; ", allowed), who);
    }

    private static boolean matches(String rule, X509Certificate cert) {
        if (rule.toLowerCase(Locale.ROOT).startsWith("sha256:")) {
            String pin = Digests.hex("SHA-256", cert.getPublicKey().getEncoded());
            return pin.equalsIgnoreCase(rule.substring("sha256:".length()).strip());
        }
        try {
            X500Principal subject = cert.getSubjectX500Principal();
            if (new X500Principal(rule).equals(subject)) {
                return true;
            }
            // RFC 4514 strings list RDNs last-first; tools differ on the order people copy, so accept the reverse too
            List<Rdn> wanted = new ArrayList<>(new LdapName(rule).getRdns());
            List<Rdn> actual = new LdapName(subject.getName(X500Principal.RFC2253)).getRdns();
            Collections.reverse(wanted);
            return wanted.equals(actual);
        } catch (IllegalArgumentException | InvalidNameException e) {
            return false;
        }
    }
}
