package org.veripack.core.internal.revocation;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CRL;
import java.security.cert.CRLReason;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPReq;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.veripack.core.RevocationSource;
import org.veripack.core.TrustPolicy;
import org.veripack.core.internal.cms.BcProvider;

/**
 * Revocation status of one certificate on an already built certification path (RFC 5280 §6.3, RFC 6960),
 * decided from, in this order, until one gives a definitive answer:
 * <ol>
 *   <li>the policy's {@code crls:} files;</li>
 *   <li>OCSP (RFC 6960) to the policy's {@code ocspResponder} or else each {@code id-ad-ocsp} URI of the
 *       certificate's Authority Information Access extension: a request with a 16-byte nonce; the response
 *       must be {@code successful}, signed by the issuing CA itself or by a responder certificate the CA
 *       issued with EKU {@code id-kp-OCSPSigning} that is valid at the verification time (§4.2.2.2), echo
 *       the nonce when it carries one, answer for this CertID, and be fresh: {@code thisUpdate ≤ at + skew}
 *       and {@code nextUpdate ≥ at − skew} (without nextUpdate: {@code thisUpdate ≥ at − }{@link #MAX_AGE_WITHOUT_NEXT_UPDATE});</li>
 *   <li>CRLs fetched from the certificate's {@code http} CRL distribution points.</li>
 * </ol>
 * A CRL counts when it is issued by the certificate's issuer (same name, signature verified with the
 * issuer's key, issuer keyUsage with cRLSign when keyUsage is present) and is not a delta CRL. A CRL that
 * lists the certificate proves revocation even when stale (revocation is final); "not listed" counts
 * only when the CRL is fresh ({@code thisUpdate ≤ at + skew ≤ nextUpdate + 2·skew}). Evidence that does
 * not verify is ignored and named in {@link Outcome#detail()}: it can make the status UNKNOWN, never GOOD.
 * All times are compared with the verification instant {@code at}, never the wall clock.
 */
public final class RevocationChecker {
    /** Tolerated clock difference between Veripack and CRL issuers/OCSP responders. */
    public static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
    /** Largest age of an OCSP answer that has no nextUpdate. */
    public static final Duration MAX_AGE_WITHOUT_NEXT_UPDATE = Duration.ofHours(1);
    private static final int NONCE_BYTES = 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Revocation status. */
    public enum Status { GOOD, REVOKED, UNKNOWN }

    /**
     * @param status         the answer
     * @param revocationTime when REVOKED: the revocation date; else null
     * @param reason         when REVOKED and a reason was given: the CRLReason; else null
     * @param detail         human-readable source of the answer, or why there was none
     */
    public record Outcome(Status status, Instant revocationTime, CRLReason reason, String detail) { }

    private final TrustPolicy policy;
    private final RevocationSource source;
    private final Instant at;

    public RevocationChecker(TrustPolicy policy, RevocationSource source, Instant at) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.source = Objects.requireNonNull(source, "source");
        this.at = Objects.requireNonNull(at, "at");
    }

    /** The status of {@code cert}, issued by {@code issuer}. Never throws for bad revocation data. */
    public Outcome check(X509Certificate cert, X509Certificate issuer) {
        List<String> notes = new ArrayList<>();
        Outcome o = fromCrls(cert, issuer, policy.crls(), "policy CRL", notes);
        if (o != null) {
            return o;
        }
        for (URI responder : ocspResponders(cert)) {
            o = fromOcsp(cert, issuer, responder, notes);
            if (o != null) {
                return o;
            }
        }
        for (URI dp : distributionPoints(cert)) {
            List<X509CRL> crls;
            try {
                crls = parseCrls(source.fetchCrl(dp));
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                notes.add("CRL " + dp + ": " + e.getMessage());
                continue;
            }
            o = fromCrls(cert, issuer, crls, "CRL " + dp, notes);
            if (o != null) {
                return o;
            }
        }
        if (notes.isEmpty()) {
            notes.add("no CRL in the policy, no OCSP responder and no CRL distribution point for this certificate");
        }
        return new Outcome(Status.UNKNOWN, null, null, String.join("; ", notes));
    }

    // --- CRL (RFC 5280 §5, §6.3) ---

    private Outcome fromCrls(X509Certificate cert, X509Certificate issuer, List<X509CRL> crls, String what, List<String> notes) {
        boolean fresh = false;
        for (X509CRL crl : crls) {
            if (!crl.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
                continue;
            }
            if (crl.getExtensionValue(Extension.deltaCRLIndicator.getId()) != null) {
                notes.add(what + ": delta CRLs are not used");
                continue;
            }
            try {
                crl.verify(issuer.getPublicKey());
            } catch (GeneralSecurityException | RuntimeException e) {
                notes.add(what + ": CRL signature does not verify with the issuer's key");
                continue;
            }
            boolean[] ku = issuer.getKeyUsage();
            if (ku != null && (ku.length < 7 || !ku[6])) {
                notes.add(what + ": CRL issuer lacks keyUsage cRLSign");
                continue;
            }
            X509CRLEntry entry = crl.getRevokedCertificate(cert);
            if (entry != null) {
                return new Outcome(Status.REVOKED, entry.getRevocationDate().toInstant(), entry.getRevocationReason(),
                        what + " lists serial " + cert.getSerialNumber().toString(16));
            }
            if (isFresh(crl.getThisUpdate(), crl.getNextUpdate())) {
                fresh = true;
            } else {
                notes.add(what + ": CRL is not current at " + at + " (thisUpdate " + crl.getThisUpdate().toInstant()
                        + ", nextUpdate " + (crl.getNextUpdate() == null ? "none" : crl.getNextUpdate().toInstant()) + ")");
            }
        }
        return fresh ? new Outcome(Status.GOOD, null, null, what) : null;
    }

    private boolean isFresh(Date thisUpdate, Date nextUpdate) {
        if (thisUpdate == null || thisUpdate.toInstant().isAfter(at.plus(CLOCK_SKEW))) {
            return false;
        }
        if (nextUpdate == null) {
            return !thisUpdate.toInstant().isBefore(at.minus(MAX_AGE_WITHOUT_NEXT_UPDATE));
        }
        return !nextUpdate.toInstant().isBefore(at.minus(CLOCK_SKEW));
    }

    private static List<X509CRL> parseCrls(byte[] bytes) throws GeneralSecurityException {
        List<X509CRL> out = new ArrayList<>();
        for (CRL c : CertificateFactory.getInstance("X.509").generateCRLs(new ByteArrayInputStream(bytes))) {
            out.add((X509CRL) c);
        }
        if (out.isEmpty()) {
            throw new GeneralSecurityException("no CRL in the response");
        }
        return out;
    }

    private static List<URI> distributionPoints(X509Certificate cert) {
        List<URI> out = new ArrayList<>();
        try {
            byte[] ext = cert.getExtensionValue(Extension.cRLDistributionPoints.getId());
            if (ext == null) {
                return out;
            }
            CRLDistPoint dps = CRLDistPoint.getInstance(ASN1OctetString.getInstance(ext).getOctets());
            for (DistributionPoint dp : dps.getDistributionPoints()) {
                DistributionPointName name = dp.getDistributionPoint();
                if (name != null && name.getType() == DistributionPointName.FULL_NAME) {
                    addUris(GeneralNames.getInstance(name.getName()).getNames(), out);
                }
            }
        } catch (RuntimeException e) {
            // malformed extension: no distribution point
        }
        return out;
    }

    // --- OCSP (RFC 6960) ---

    private List<URI> ocspResponders(X509Certificate cert) {
        if (policy.ocspResponder().isPresent()) {
            return List.of(policy.ocspResponder().get());
        }
        List<URI> out = new ArrayList<>();
        try {
            byte[] ext = cert.getExtensionValue(Extension.authorityInfoAccess.getId());
            if (ext == null) {
                return out;
            }
            AuthorityInformationAccess aia = AuthorityInformationAccess.getInstance(ASN1OctetString.getInstance(ext).getOctets());
            List<GeneralName> names = new ArrayList<>();
            for (AccessDescription ad : aia.getAccessDescriptions()) {
                if (AccessDescription.id_ad_ocsp.equals(ad.getAccessMethod())) {
                    names.add(ad.getAccessLocation());
                }
            }
            addUris(names.toArray(new GeneralName[0]), out);
        } catch (RuntimeException e) {
            // malformed extension: no responder
        }
        return out;
    }

    private static void addUris(GeneralName[] names, List<URI> out) {
        for (GeneralName gn : names) {
            if (gn.getTagNo() == GeneralName.uniformResourceIdentifier) {
                try {
                    URI u = new URI(gn.getName().toString());
                    if ("http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme())) {
                        out.add(u);
                    }
                } catch (java.net.URISyntaxException e) {
                    // skip
                }
            }
        }
    }

    private Outcome fromOcsp(X509Certificate cert, X509Certificate issuer, URI responder, List<String> notes) {
        String what = "OCSP " + responder;
        try {
            CertificateID id = new CertificateID(new JcaDigestCalculatorProviderBuilder().setProvider(BcProvider.INSTANCE)
                    .build().get(CertificateID.HASH_SHA1), new JcaX509CertificateHolder(issuer), cert.getSerialNumber());
            byte[] nonce = new byte[NONCE_BYTES];
            RANDOM.nextBytes(nonce);
            OCSPReq req = new OCSPReqBuilder().addRequest(id)
                    .setRequestExtensions(new Extensions(Extension.create(OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false,
                            new DEROctetString(nonce)))).build(); // RFC 8954 §2.1: Nonce ::= OCTET STRING
            byte[] answer;
            try {
                answer = source.ocsp(responder, req.getEncoded());
            } catch (IOException e) {
                notes.add(what + ": no answer: " + e.getMessage());
                return null;
            }
            OCSPResp resp = new OCSPResp(answer);
            if (resp.getStatus() != OCSPResp.SUCCESSFUL) {
                notes.add(what + ": responseStatus " + resp.getStatus());
                return null;
            }
            if (!(resp.getResponseObject() instanceof BasicOCSPResp)) {
                notes.add(what + ": not a basic OCSP response");
                return null;
            }
            BasicOCSPResp basic = (BasicOCSPResp) resp.getResponseObject();
            String signer = checkResponseSignature(basic, issuer);
            if (signer != null) {
                notes.add(what + ": " + signer);
                return null;
            }
            Extension n = basic.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce);
            if (n != null && !nonceMatches(n, nonce)) {
                notes.add(what + ": response nonce differs from the request's (replayed response)");
                return null;
            }
            for (SingleResp single : basic.getResponses()) {
                if (!single.getCertID().equals(id)) {
                    continue;
                }
                if (!isFresh(single.getThisUpdate(), single.getNextUpdate())) {
                    notes.add(what + ": answer is not current at " + at + " (thisUpdate " + single.getThisUpdate().toInstant()
                            + ", nextUpdate " + (single.getNextUpdate() == null ? "none" : single.getNextUpdate().toInstant()) + ")");
                    return null;
                }
                CertificateStatus st = single.getCertStatus();
                if (st == CertificateStatus.GOOD) {
                    return new Outcome(Status.GOOD, null, null, what);
                }
                if (st instanceof RevokedStatus) {
                    RevokedStatus r = (RevokedStatus) st;
                    CRLReason reason = null;
                    if (r.hasRevocationReason() && r.getRevocationReason() >= 0 && r.getRevocationReason() < CRLReason.values().length) {
                        reason = CRLReason.values()[r.getRevocationReason()];
                    }
                    return new Outcome(Status.REVOKED, r.getRevocationTime().toInstant(), reason, what);
                }
                notes.add(what + ": responder does not know the certificate");
                return null;
            }
            notes.add(what + ": response does not answer for this certificate");
            return null;
        } catch (IOException | OCSPException | GeneralSecurityException | RuntimeException
                 | org.bouncycastle.operator.OperatorCreationException e) {
            notes.add(what + ": unusable response: " + e.getMessage());
            return null;
        }
    }

    private static boolean nonceMatches(Extension n, byte[] nonce) {
        byte[] got = n.getExtnValue().getOctets();
        if (got.length != nonce.length) {
            try {
                ASN1Primitive inner = ASN1Primitive.fromByteArray(got); // RFC 8954: an OCTET STRING inside extnValue
                got = inner instanceof ASN1OctetString ? ((ASN1OctetString) inner).getOctets() : got;
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }
        return java.security.MessageDigest.isEqual(got, nonce);
    }

    /**
     * RFC 6960 §4.2.2.2: the response is signed by the CA that issued the certificate, or by a responder
     * certificate (included in the response) the CA issued with EKU id-kp-OCSPSigning, valid at {@code at}.
     * Returns null when acceptable, else why not.
     */
    private String checkResponseSignature(BasicOCSPResp basic, X509Certificate issuer) throws IOException {
        if (verifies(basic, issuer)) {
            return null;
        }
        JcaX509CertificateConverter conv = new JcaX509CertificateConverter();
        for (X509CertificateHolder h : basic.getCerts()) {
            X509Certificate responder;
            try {
                responder = conv.getCertificate(h);
            } catch (GeneralSecurityException e) {
                continue;
            }
            if (!verifies(basic, responder)) {
                continue;
            }
            if (!responder.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
                return "response signed by " + responder.getSubjectX500Principal() + ", not issued by the certificate's CA";
            }
            try {
                responder.verify(issuer.getPublicKey());
            } catch (GeneralSecurityException | RuntimeException e) {
                return "responder certificate is not signed by the certificate's CA";
            }
            List<String> eku;
            try {
                eku = responder.getExtendedKeyUsage();
            } catch (GeneralSecurityException e) {
                eku = null;
            }
            if (eku == null || !eku.contains(KeyPurposeId.id_kp_OCSPSigning.getId())) {
                return "delegated responder certificate lacks EKU id-kp-OCSPSigning";
            }
            try {
                responder.checkValidity(Date.from(at));
            } catch (GeneralSecurityException e) {
                return "delegated responder certificate not valid at " + at;
            }
            return null;
        }
        return "response signature does not verify with the CA's key nor a delegated responder's";
    }

    private static boolean verifies(BasicOCSPResp basic, X509Certificate key) {
        try {
            return basic.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(BcProvider.INSTANCE)
                    .build(key.getPublicKey()));
        } catch (OCSPException | org.bouncycastle.operator.OperatorCreationException | RuntimeException e) {
            return false;
        }
    }
}
