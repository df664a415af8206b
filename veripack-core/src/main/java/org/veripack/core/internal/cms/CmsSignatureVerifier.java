package org.veripack.core.internal.cms;

import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import org.veripack.core.TrustPolicy;

/**
 * Checks a detached CMS SignedData (RFC 5652) over some content under a trust policy: structure,
 * signed attributes (messageDigest, content-type; RFC 5652 §5.4, §11), signature value, algorithm
 * policy, certification path to a trust anchor (RFC 5280 §6), validity at {@code at}, key usage/EKU.
 */
public final class CmsSignatureVerifier {
    private CmsSignatureVerifier() { }

    /**
     * @param cms          the SignedData, DER or PEM ({@code -----BEGIN CMS-----}/{@code PKCS7}); may be empty
     *                     (then {@code SIGNATURE_MISSING})
     * @param content      the detached content the signature covers
     * @param packageCerts certificates shipped beside the signature (e.g. a SOL004 {@code .cert}); may be empty
     * @param policy       trust policy
     * @param at           verification instant
     * @return findings and signers; never throws for malformed input
     * @throws IOException only when {@code content} cannot be read
     */
    public static SignatureCheckResult verify(byte[] cms, SignedContent content, List<X509Certificate> packageCerts,
                                              TrustPolicy policy, Instant at) throws IOException {
        throw new UnsupportedOperationException("not yet implemented");
    }
}
