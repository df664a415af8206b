package org.veripack.core.internal.cms;

import java.security.cert.X509Certificate;
import java.util.List;
import org.veripack.core.Warning;
import org.veripack.core.Finding;
import org.veripack.core.SignerSummary;

/**
 * Outcome of checking one CMS SignedData: findings (empty = valid and trusted), the signers that were
 * identified (even when untrusted, so the report can name them) and their certificates.
 */
public record SignatureCheckResult(List<Finding> findings, List<SignerSummary> signers,
                                   List<X509Certificate> signerCertificates, List<Warning> warnings) {
    public SignatureCheckResult {
        findings = List.copyOf(findings);
        signers = List.copyOf(signers);
        signerCertificates = List.copyOf(signerCertificates);
        warnings = List.copyOf(warnings);
    }

    public boolean valid() { return findings.isEmpty(); }
}
