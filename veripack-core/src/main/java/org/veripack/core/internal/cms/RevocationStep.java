package org.veripack.core.internal.cms;

import java.security.cert.CRLReason;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.RevocationMode;
import org.veripack.core.RevocationSource;
import org.veripack.core.TrustPolicy;
import org.veripack.core.Warning;
import org.veripack.core.WarningCode;
import org.veripack.core.internal.revocation.RevocationChecker;

/**
 * Step 9 of the CMS checklist (RFC 5280 §6.3, RFC 6960; the data and the libraries: {@link RevocationChecker},
 * docs/pkix.md), when the policy's revocation mode is not OFF: every certificate of the path but the trust
 * anchor, with current revocation data as of the verification time. REVOKED → {@code CERT_REVOKED} when the
 * revocation date is not after the validation instant (the time-stamp's genTime, else the verification
 * time), is unknown, or the reason gives no such assurance (none, unspecified, keyCompromise, cACompromise,
 * aACompromise, certificateHold: the key may have been misused earlier); revocations after a trusted
 * time-stamp for superseded, cessationOfOperation, affiliationChanged or privilegeWithdrawn are the warning
 * {@code REVOKED_AFTER_TIMESTAMP}. No answer → {@code REVOCATION_UNKNOWN} under {@code require}, the warning
 * {@code REVOCATION_NOT_CHECKED} under {@code prefer}.
 */
final class RevocationStep {
    private static final Set<CRLReason> BENIGN_REASONS = Set.of(CRLReason.SUPERSEDED, CRLReason.CESSATION_OF_OPERATION,
            CRLReason.AFFILIATION_CHANGED, CRLReason.PRIVILEGE_WITHDRAWN);

    private final TrustPolicy policy;
    private final RevocationSource source;
    private final Instant at;

    /** @param at the verification time, the instant revocation data must be current at */
    RevocationStep(TrustPolicy policy, RevocationSource source, Instant at) {
        this.policy = policy;
        this.source = source;
        this.at = at;
    }

    /** @param warnings report warnings, in order */
    record Result(StepFindings findings, List<Warning> warnings) {
        Result {
            warnings = List.copyOf(warnings);
        }
    }

    /**
     * @param path signer → trust anchor inclusive
     * @param pool certificates a CRL or OCSP responder certificate may chain through
     * @param when the validation instant of the path
     */
    Result check(List<X509Certificate> path, List<X509Certificate> pool, Instant when) {
        if (policy.revocation() == RevocationMode.OFF) {
            return new Result(StepFindings.NONE, List.of());
        }
        StepFindings.Builder findings = new StepFindings.Builder();
        List<Warning> warnings = new ArrayList<>();
        RevocationChecker checker = new RevocationChecker(policy, source, at, pool);
        for (int i = 0; i < path.size() - 1; i++) {
            String name = CertificationPath.name(path.get(i));
            RevocationChecker.Outcome o = checker.check(path, i);
            if (o.status() == RevocationChecker.Status.REVOKED) {
                boolean afterSigning = o.revocationTime() != null && o.revocationTime().isAfter(when);
                String revoked = "revoked " + (o.revocationTime() == null ? "at an unstated date" : o.revocationTime().toString());
                if (!afterSigning || o.reason() == null || !BENIGN_REASONS.contains(o.reason())) {
                    findings.once(name, Finding.mismatch(FindingCode.CERT_REVOKED, name, "certificate revoked (" + o.detail() + ")",
                            "not revoked at " + when, revoked + (o.reason() == null ? "" : " reason " + o.reason())));
                } else {
                    warnings.add(new Warning(WarningCode.REVOKED_AFTER_TIMESTAMP, name,
                            revoked + " (" + o.reason() + ") after the time-stamped signing time " + when));
                }
            } else if (o.status() == RevocationChecker.Status.UNKNOWN) {
                if (policy.revocation() == RevocationMode.REQUIRE) {
                    findings.add(FindingCode.REVOCATION_UNKNOWN, name, "no revocation answer: " + o.detail());
                } else {
                    warnings.add(new Warning(WarningCode.REVOCATION_NOT_CHECKED, name,
                            "revocation status unknown (revocation: prefer): " + o.detail()));
                }
            }
        }
        return new Result(findings.build(), warnings);
    }
}
