package org.veripack.core.internal.csar;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.TrustPolicy;

/**
 * Who may sign what (docs/guide.md "Who may sign what"), checked after the signatures:
 * <ul>
 *   <li>{@code signers:} — package name to allowed signers. An empty map allows any trusted signer. When
 *       the map is not empty, a package whose name is not in it is {@code SIGNER_NOT_AUTHORIZED} (fail
 *       closed), and so is <em>every</em> signer of the package that matches none of the package's entries
 *       (a countersigning operator must be listed too).</li>
 *   <li>{@code requireSigners:} over {@code signerGroups:} — at least {@code threshold} of the named groups
 *       must each be matched by a distinct signer; a signer is one key (SubjectPublicKeyInfo), so it counts
 *       once however many SignerInfos or certificates it brings and however many groups it matches (a
 *       maximum bipartite matching of signers to groups). Too few → {@code SIGNER_NOT_AUTHORIZED}, subject
 *       {@code signature}, expected/actual the counts.</li>
 * </ul>
 * An entry is a subject DN (RFC 4514, compared as {@link X500Principal}, RDNs in either order) or
 * {@code sha256:HEX}, the SHA-256 of the signer's SubjectPublicKeyInfo DER. Only signers whose signature was
 * checked are passed in; any other finding already rejects the package.
 */
public final class SignerAuthorization {
    private SignerAuthorization() { }

    /** The findings (empty when authorised) for {@code signers} of package {@code packageName}. */
    public static List<Finding> check(TrustPolicy policy, String packageName, List<X509Certificate> signers) {
        List<Finding> out = new ArrayList<>();
        if (signers.isEmpty()) {
            return out; // no signer identified: the signature findings already reject
        }
        if (!policy.signers().isEmpty()) {
            List<String> allowed = policy.signers().get(packageName);
            for (X509Certificate cert : distinctKeys(signers).values()) {
                String who = cert.getSubjectX500Principal().getName(X500Principal.RFC2253);
                if (allowed == null) {
                    out.add(Finding.of(FindingCode.SIGNER_NOT_AUTHORIZED, who,
                            "the trust policy names no signer for package '" + packageName + "'"));
                } else if (allowed.stream().noneMatch(rule -> matches(rule, cert))) {
                    out.add(Finding.mismatch(FindingCode.SIGNER_NOT_AUTHORIZED, who,
                            "signer is not allowed to sign package '" + packageName + "'", String.join("; ", allowed), who));
                }
            }
        }
        policy.requireSigners().ifPresent(req -> {
            int satisfied = matchedGroups(policy, req.groups(), new ArrayList<>(distinctKeys(signers).values()));
            if (satisfied < req.threshold()) {
                out.add(Finding.mismatch(FindingCode.SIGNER_NOT_AUTHORIZED, "signature",
                        "requireSigners: only " + satisfied + " of the groups " + req.groups() + " signed, by distinct signers",
                        req.threshold() + " of " + req.groups().size(), String.valueOf(satisfied)));
            }
        });
        return out;
    }

    /** One certificate per distinct public key (SPKI SHA-256), in signer order. */
    private static Map<String, X509Certificate> distinctKeys(List<X509Certificate> signers) {
        Map<String, X509Certificate> byKey = new LinkedHashMap<>();
        for (X509Certificate c : signers) {
            byKey.putIfAbsent(Digests.hex("SHA-256", c.getPublicKey().getEncoded()), c);
        }
        return byKey;
    }

    /** Size of a maximum matching between signers and groups (each used once); Kuhn's augmenting paths. */
    private static int matchedGroups(TrustPolicy policy, List<String> groups, List<X509Certificate> signers) {
        int[] groupOwner = new int[groups.size()];
        java.util.Arrays.fill(groupOwner, -1);
        int count = 0;
        for (int s = 0; s < signers.size(); s++) {
            if (augment(policy, groups, signers, s, groupOwner, new boolean[groups.size()])) {
                count++;
            }
        }
        return count;
    }

    private static boolean augment(TrustPolicy policy, List<String> groups, List<X509Certificate> signers, int s,
                                   int[] groupOwner, boolean[] seen) {
        for (int g = 0; g < groups.size(); g++) {
            if (seen[g] || !inGroup(policy.signerGroups().get(groups.get(g)), signers.get(s))) {
                continue;
            }
            seen[g] = true;
            if (groupOwner[g] < 0 || augment(policy, groups, signers, groupOwner[g], groupOwner, seen)) {
                groupOwner[g] = s;
                return true;
            }
        }
        return false;
    }

    private static boolean inGroup(List<String> members, X509Certificate cert) {
        return members != null && members.stream().anyMatch(rule -> matches(rule, cert));
    }

    /** Whether {@code rule} (a DN or {@code sha256:HEX}) names {@code cert}'s subject or key. */
    static boolean matches(String rule, X509Certificate cert) {
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
