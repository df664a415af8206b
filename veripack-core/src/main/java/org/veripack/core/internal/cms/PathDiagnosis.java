package org.veripack.core.internal.cms;

import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.PKIXReason;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.veripack.core.FindingCode;
import org.veripack.core.TrustPolicy;

/**
 * Why no certification path was built (part of step 7; docs/pkix.md). Finds a candidate path by name
 * <em>and</em> key chaining (the issuer's subject equals the certificate's issuer and the issuer's key
 * verifies the certificate's signature), reports the validity and algorithms of every certificate on it,
 * and lets the PKIX validators ({@link CertificationPath#validate}) name the first structural failure, at
 * the validation instant and — when only validity failed there — at an instant inside every certificate's
 * validity, so that e.g. an expired certificate issued by a non-CA gets both findings. The validator's
 * {@code Reason} decides the code: not a CA, path too long, no keyCertSign → {@code KEY_USAGE_INVALID};
 * algorithm constrained → {@code ALGORITHM_REJECTED}; others → {@code SIGNER_UNTRUSTED}. No candidate →
 * {@code SIGNER_UNTRUSTED}. The search is bounded in depth and in signature checks.
 */
final class PathDiagnosis {
    private static final int MAX_CHAIN_ATTEMPTS = 2000;

    private final TrustPolicy policy;
    private final CertificationPath paths;
    private final AlgorithmPolicy algorithms;

    PathDiagnosis(TrustPolicy policy, CertificationPath paths, AlgorithmPolicy algorithms) {
        this.policy = policy;
        this.paths = paths;
        this.algorithms = algorithms;
    }

    /** @param candidate signer → anchor by name and key chaining, empty when none exists */
    record Result(List<X509Certificate> candidate, StepFindings findings) { }

    Result diagnose(X509Certificate signer, List<X509Certificate> pool, Instant when) {
        Search search = new Search(pool);
        List<X509Certificate> candidate = search.chain(signer, new ArrayList<>(List.of(signer)));
        if (candidate == null) {
            return new Result(List.of(), StepFindings.of(FindingCode.SIGNER_UNTRUSTED, CertificationPath.name(signer),
                    search.nameOnly
                            ? "an issuer with the right name exists but its key did not sign the certificate (name chaining without key chaining)"
                            : "no certification path to a trust anchor"));
        }
        StepFindings.Builder findings = new StepFindings.Builder();
        for (X509Certificate c : candidate) {
            findings.addAll(CertificationPath.validity(c, when));
        }
        findings.addAll(algorithms.path(candidate));
        CertPathValidatorException failure = validate(candidate, when);
        if (failure != null && isValidityReason(failure)) {
            Instant probe = insideAllValidity(candidate);
            failure = probe == null ? null : validate(candidate, probe);
        }
        if (failure != null && !isValidityReason(failure)) {
            X509Certificate subject = failure.getIndex() >= 0 && failure.getIndex() < candidate.size() - 1
                    ? candidate.get(failure.getIndex()) : signer;
            findings.add(mapPkixFailure(failure), CertificationPath.name(subject),
                    "certification path invalid (RFC 5280 §6.1): " + failure.getMessage());
        }
        return new Result(candidate, findings.build());
    }

    /** A depth-first search for a candidate path, bounded by {@link CertificationPath#MAX_PATH_DEPTH} and a signature budget. */
    private final class Search {
        private final List<X509Certificate> pool;
        private int budget = MAX_CHAIN_ATTEMPTS;
        /** Whether an issuer matched by name only (its key did not sign). */
        private boolean nameOnly;

        Search(List<X509Certificate> pool) {
            this.pool = pool;
        }

        List<X509Certificate> chain(X509Certificate cert, List<X509Certificate> path) {
            if (path.size() > CertificationPath.MAX_PATH_DEPTH + 1) {
                return null;
            }
            X500Principal issuer = cert.getIssuerX500Principal();
            for (X509Certificate anchor : policy.trustAnchors()) {
                if (anchor.getSubjectX500Principal().equals(issuer)) {
                    if (signedBy(cert, anchor)) {
                        List<X509Certificate> full = new ArrayList<>(path);
                        full.add(anchor);
                        return full;
                    }
                    nameOnly = true;
                }
            }
            for (X509Certificate c : pool) {
                if (!path.contains(c) && c.getSubjectX500Principal().equals(issuer)) {
                    if (signedBy(cert, c)) {
                        path.add(c);
                        List<X509Certificate> r = chain(c, path);
                        if (r != null) {
                            return r;
                        }
                        path.remove(path.size() - 1);
                    } else {
                        nameOnly = true;
                    }
                }
            }
            return null;
        }

        private boolean signedBy(X509Certificate cert, X509Certificate issuer) {
            if (budget-- <= 0) {
                return false;
            }
            try {
                cert.verify(issuer.getPublicKey());
                return true;
            } catch (GeneralSecurityException | RuntimeException e) {
                return false;
            }
        }
    }

    /** The JDK's validator, then Bouncy Castle's when the initial policy set is not any-policy; null when both accept. */
    private CertPathValidatorException validate(List<X509Certificate> candidate, Instant when) {
        try {
            paths.validate(candidate, when, false);
            if (!paths.anyPolicyInitial()) {
                paths.validate(candidate, when, true);
            }
            return null;
        } catch (CertPathValidatorException e) {
            return e;
        }
    }

    private static boolean isValidityReason(CertPathValidatorException e) {
        return e.getReason() == CertPathValidatorException.BasicReason.EXPIRED
                || e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID;
    }

    private static Instant insideAllValidity(List<X509Certificate> path) {
        Instant from = Instant.MIN;
        Instant to = Instant.MAX;
        for (X509Certificate c : path) {
            Instant nb = c.getNotBefore().toInstant();
            Instant na = c.getNotAfter().toInstant();
            from = nb.isAfter(from) ? nb : from;
            to = na.isBefore(to) ? na : to;
        }
        return from.isAfter(to) ? null : from;
    }

    private static FindingCode mapPkixFailure(CertPathValidatorException e) {
        CertPathValidatorException.Reason r = e.getReason();
        if (r == PKIXReason.NOT_CA_CERT || r == PKIXReason.PATH_TOO_LONG || r == PKIXReason.INVALID_KEY_USAGE) {
            return FindingCode.KEY_USAGE_INVALID;
        }
        if (r == CertPathValidatorException.BasicReason.ALGORITHM_CONSTRAINED) {
            return FindingCode.ALGORITHM_REJECTED;
        }
        if (r == CertPathValidatorException.BasicReason.EXPIRED) {
            return FindingCode.CERT_EXPIRED;
        }
        if (r == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
            return FindingCode.CERT_NOT_YET_VALID;
        }
        return FindingCode.SIGNER_UNTRUSTED;
    }
}
