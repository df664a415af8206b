package org.veripack.core.internal.cms;

import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXCertPathBuilderResult;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.PKIXParameters;
import java.security.cert.PolicyNode;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.TrustPolicy;

/**
 * Step 7 of the CMS checklist, the signer's certification path (RFC 5280 §6.1; who decides what:
 * docs/pkix.md). Direct trust when the signer certificate is itself a trust anchor; otherwise the JDK's
 * PKIX {@code CertPathBuilder} at the validation instant (revocation off: {@link RevocationStep} checks it)
 * over the given pool, with the policy's certificate-policy inputs (§6.1.1 (c), (e)-(g)); when the initial
 * policy set is not any-policy, Bouncy Castle's PKIX {@code CertPathValidator} re-validates the built path
 * and its verdict and policy tree decide. Veripack validates no path itself: it adds the validity findings
 * of every path certificate, the anchor included ({@code CERT_EXPIRED}/{@code CERT_NOT_YET_VALID} naming it),
 * the algorithm policy on the path ({@link AlgorithmPolicy#path}) and, when no path is built, the diagnosis
 * of {@link PathDiagnosis}.
 */
final class CertificationPath {
    static final int MAX_PATH_DEPTH = 8;

    private final TrustPolicy policy;
    private final AlgorithmPolicy algorithms;

    CertificationPath(TrustPolicy policy, AlgorithmPolicy algorithms) {
        this.policy = policy;
        this.algorithms = algorithms;
    }

    /**
     * The path of one signer.
     *
     * @param path          signer → trust anchor inclusive; the diagnosed candidate when none was built; empty
     *                      when there is none
     * @param policies      the user-constrained-policy-set (§6.1.6) of a built path, sorted; else empty
     * @param unbuilt       when no path was built: the {@code SIGNER_UNTRUSTED} finding to report if
     *                      {@code findings} add nothing new to the report; else null
     */
    record Result(List<X509Certificate> path, List<String> policies, StepFindings findings, Finding unbuilt) {
        Result {
            path = List.copyOf(path);
            policies = List.copyOf(policies);
        }
    }

    /**
     * @param pool certificates a path may use (CMS, package, policy intermediates)
     * @param when the validation instant: a trusted time-stamp's genTime, else the verification time
     */
    Result check(X509Certificate signer, List<X509Certificate> pool, Instant when) {
        StepFindings.Builder findings = new StepFindings.Builder();
        if (policy.trustAnchors().contains(signer)) {
            // direct trust: the operator trusts this very certificate (e.g. ONAP's v1 signer certificates)
            findings.addAll(validity(signer, when)).addAll(algorithms.key(signer).findings());
            return new Result(List.of(signer), List.of(), findings.build(), null);
        }
        Built built;
        try {
            built = build(signer, pool, when);
        } catch (CertPathBuilderException e) {
            PathDiagnosis.Result d = new PathDiagnosis(policy, this, algorithms).diagnose(signer, pool, when);
            return new Result(d.candidate(), List.of(), d.findings(), Finding.of(FindingCode.SIGNER_UNTRUSTED, name(signer),
                    "no certification path to a trust anchor: " + e.getMessage()));
        }
        for (X509Certificate c : built.path()) {
            findings.addAll(validity(c, when)); // PKIX checked all but the anchor; the anchor is checked too (fail closed)
        }
        findings.addAll(algorithms.path(built.path()));
        return new Result(built.path(), built.policies(), findings.build(), null);
    }

    private record Built(List<X509Certificate> path, List<String> policies) { }

    /**
     * The JDK's builder, then Bouncy Castle's validator when the initial policy set is not any-policy (its
     * failure is thrown as a {@code CertPathBuilderException}, which {@link PathDiagnosis} then names).
     */
    private Built build(X509Certificate signer, List<X509Certificate> pool, Instant when) throws CertPathBuilderException {
        try {
            X509CertSelector target = new X509CertSelector();
            target.setCertificate(signer);
            PKIXBuilderParameters params = new PKIXBuilderParameters(anchors(), target);
            params.setRevocationEnabled(false);
            params.setDate(Date.from(when));
            params.setMaxPathLength(MAX_PATH_DEPTH);
            applyPolicyInputs(params);
            List<X509Certificate> store = new ArrayList<>(pool);
            if (!store.contains(signer)) {
                store.add(signer);
            }
            params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(store)));
            PKIXCertPathBuilderResult r = (PKIXCertPathBuilderResult) CertPathBuilder.getInstance("PKIX").build(params);
            List<X509Certificate> path = new ArrayList<>();
            r.getCertPath().getCertificates().forEach(c -> path.add((X509Certificate) c));
            path.add(r.getTrustAnchor().getTrustedCert());
            PolicyNode tree = r.getPolicyTree();
            if (!anyPolicyInitial()) {
                try {
                    tree = validate(path, when, true).getPolicyTree();
                } catch (CertPathValidatorException e) {
                    throw new CertPathBuilderException("certification path invalid (RFC 5280 §6.1): " + e.getMessage(), e);
                }
            }
            return new Built(path, PolicyTree.validPolicies(tree, path.size() - 1, policy.initialPolicies()));
        } catch (CertPathBuilderException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new CertPathBuilderException("PKIX builder unavailable: " + e.getMessage(), e);
        }
    }

    /** Whether the user-initial-policy-set is any-policy (RFC 5280 §6.1.1 (c): empty, or naming anyPolicy). */
    boolean anyPolicyInitial() {
        return policy.initialPolicies().isEmpty() || policy.initialPolicies().contains(TrustPolicy.ANY_POLICY);
    }

    /**
     * A PKIX CertPathValidator over {@code path} (signer first, trust anchor last) at {@code when}, revocation
     * off, with the policy's certificate-policy inputs: the JDK's ({@code bouncyCastle} false) or Bouncy
     * Castle's. Bouncy Castle's decides the certificate-policy outcome when the initial policy set is not
     * any-policy: then the JDK's validator intersects the valid_policy_tree with the initial set at every
     * certificate instead of once after the last (RFC 5280 §6.1.5 (g)(iii)), so a node it deleted early no
     * longer takes a mapped policy at the next certificate (§6.1.3 (d)(1)(i)), which falls through to anyPolicy
     * ((d)(1)(ii)) and is accepted where the RFC rejects (PKITS 4.10.13; docs/pkix.md). With the default set
     * the JDK's result stands and Bouncy Castle's validator is not run.
     *
     * @throws CertPathValidatorException the validator's failure, or its absence
     */
    PKIXCertPathValidatorResult validate(List<X509Certificate> path, Instant when, boolean bouncyCastle)
            throws CertPathValidatorException {
        try {
            CertPath cp = CertificateFactory.getInstance("X.509").generateCertPath(path.subList(0, path.size() - 1));
            PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(path.get(path.size() - 1), null)));
            params.setRevocationEnabled(false);
            params.setDate(Date.from(when));
            applyPolicyInputs(params);
            CertPathValidator validator = bouncyCastle ? CertPathValidator.getInstance("PKIX", BcProvider.INSTANCE)
                    : CertPathValidator.getInstance("PKIX");
            return (PKIXCertPathValidatorResult) validator.validate(cp, params);
        } catch (CertPathValidatorException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new CertPathValidatorException("PKIX validator unavailable: " + e.getMessage(), e);
        }
    }

    /** RFC 5280 §6.1.1 (c), (e), (f), (g): the trust policy's certificate-policy inputs. */
    private void applyPolicyInputs(PKIXParameters params) {
        params.setInitialPolicies(policy.initialPolicies());
        params.setExplicitPolicyRequired(policy.requireExplicitPolicy());
        params.setPolicyMappingInhibited(policy.inhibitPolicyMapping());
        params.setAnyPolicyInhibited(policy.inhibitAnyPolicy());
    }

    private Set<TrustAnchor> anchors() {
        Set<TrustAnchor> set = new LinkedHashSet<>();
        for (X509Certificate a : policy.trustAnchors()) {
            set.add(new TrustAnchor(a, null));
        }
        return set;
    }

    /** RFC 5280 §4.1.2.5 at {@code when}, naming the certificate; reported once per certificate. */
    static StepFindings validity(X509Certificate c, Instant when) {
        try {
            c.checkValidity(Date.from(when));
            return StepFindings.NONE;
        } catch (CertificateExpiredException e) {
            return new StepFindings.Builder().once(name(c), Finding.mismatch(FindingCode.CERT_EXPIRED, name(c),
                    "certificate expired before the verification time", "notAfter >= " + when,
                    c.getNotAfter().toInstant().toString())).build();
        } catch (CertificateNotYetValidException e) {
            return new StepFindings.Builder().once(name(c), Finding.mismatch(FindingCode.CERT_NOT_YET_VALID, name(c),
                    "certificate not yet valid at the verification time", "notBefore <= " + when,
                    c.getNotBefore().toInstant().toString())).build();
        }
    }

    /** Certificate subject DN (RFC 2253/4514 string) as findings name it. */
    static String name(X509Certificate c) {
        return c.getSubjectX500Principal().getName(X500Principal.RFC2253);
    }
}
