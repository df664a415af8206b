package org.veripack.core.internal.revocation;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CRLReason;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.veripack.core.internal.cms.BcProvider;

/**
 * The checks of one OCSP response for {@link RevocationChecker} (RFC 6960): a successful basic response (§4.2.1),
 * signed by the certificate's CA or a responder it authorised (§4.2.2.2), echoing the request's nonce (RFC 8954
 * §2.1), and an answer current at the verification instant {@code at} (§3.2 (4)-(5), with
 * {@link RevocationChecker#CLOCK_SKEW} and {@link RevocationChecker#MAX_AGE_WITHOUT_NEXT_UPDATE}). Each refusal is a
 * note, never an exception: the checker then asks the next source.
 */
record OcspResponseCheck(Instant at) {
    /**
     * The basic response of a successful OCSP answer (RFC 6960 §4.2.1), signed by the issuer or a responder it authorised
     * (§4.2.2.2), echoing the request's nonce when it carries one (RFC 8954 §2.1); null with a note otherwise.
     */
    BasicOCSPResp basicResponse(byte[] answer, X509Certificate issuer, byte[] nonce, String what, List<String> notes)
            throws IOException, OCSPException {
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
        return basic;
    }

    /**
     * The certificate's status in its {@code SingleResp} (RFC 6960 §4.2.1), current at the verification time
     * (thisUpdate/nextUpdate, §3.2 (4)-(5)): GOOD, or REVOKED with its time and reason; null with a note when it is not
     * current or the responder does not know the certificate.
     */
    RevocationChecker.Outcome answerFor(SingleResp single, String what, List<String> notes) {
        if (!isFresh(single.getThisUpdate(), single.getNextUpdate())) {
            notes.add(what + ": answer is not current at " + at + " (thisUpdate " + single.getThisUpdate().toInstant()
                    + ", nextUpdate " + (single.getNextUpdate() == null ? "none" : single.getNextUpdate().toInstant()) + ")");
            return null;
        }
        CertificateStatus st = single.getCertStatus();
        if (st == CertificateStatus.GOOD) {
            return new RevocationChecker.Outcome(RevocationChecker.Status.GOOD, null, null, what);
        }
        if (st instanceof RevokedStatus) {
            RevokedStatus r = (RevokedStatus) st;
            CRLReason reason = null;
            if (r.hasRevocationReason() && r.getRevocationReason() >= 0 && r.getRevocationReason() < CRLReason.values().length) {
                reason = CRLReason.values()[r.getRevocationReason()];
            }
            return new RevocationChecker.Outcome(RevocationChecker.Status.REVOKED, r.getRevocationTime().toInstant(), reason, what);
        }
        notes.add(what + ": responder does not know the certificate");
        return null;
    }

    private boolean isFresh(Date thisUpdate, Date nextUpdate) {
        if (thisUpdate == null || thisUpdate.toInstant().isAfter(at.plus(RevocationChecker.CLOCK_SKEW))) {
            return false;
        }
        if (nextUpdate == null) {
            return !thisUpdate.toInstant().isBefore(at.minus(RevocationChecker.MAX_AGE_WITHOUT_NEXT_UPDATE));
        }
        return !nextUpdate.toInstant().isBefore(at.minus(RevocationChecker.CLOCK_SKEW));
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
        return MessageDigest.isEqual(got, nonce);
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
        } catch (OCSPException | OperatorCreationException | RuntimeException e) {
            return false;
        }
    }
}
