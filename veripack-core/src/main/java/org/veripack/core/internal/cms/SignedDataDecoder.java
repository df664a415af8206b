package org.veripack.core.internal.cms;

import static org.veripack.core.internal.cms.StepFindings.SIGNATURE;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.veripack.core.FindingCode;

/**
 * Step 1 of the CMS checklist: the signature bytes to a detached SignedData (RFC 5652 §3, §5.1). Empty
 * input → {@code SIGNATURE_MISSING}; PEM ({@code CMS}, {@code PKCS7}, {@code PKCS #7 SIGNED DATA}) or DER/BER
 * ContentInfo; anything unparsable, trailing bytes, a content type other than id-signedData, encapsulated
 * content (a detached signature is expected, §5.2) or zero SignerInfos → {@code SIGNATURE_INVALID}, never
 * {@code MALFORMED_PACKAGE} (that code is for containers). A SignedData version other than 1, 3, 4 or 5 is a
 * finding but the SignerInfos are still checked. The structure is parsed once, by Bouncy Castle.
 */
final class SignedDataDecoder {
    private static final Set<String> PEM_TYPES = Set.of("CMS", "PKCS7", "PKCS #7 SIGNED DATA");

    private SignedDataDecoder() { }

    /**
     * A decoded SignedData.
     *
     * @param signerInfos  the SignerInfos; empty when the SignedData is unusable (then {@code findings} say why)
     * @param certificates the CMS certificates the JDK decodes
     * @param undecodable  the CMS certificates it does not (e.g. explicit EC curve parameters): never on a
     *                     path, but when one is the signer's certificate the finding says why
     * @param eContentType the encapsulated content type the content-type attribute must equal (§11.1)
     */
    record Decoded(List<SignerInformation> signerInfos, List<X509Certificate> certificates,
                   List<X509CertificateHolder> undecodable, ASN1ObjectIdentifier eContentType, StepFindings findings) {
        Decoded {
            signerInfos = List.copyOf(signerInfos);
            certificates = List.copyOf(certificates);
            undecodable = List.copyOf(undecodable);
        }

        boolean usable() { return !signerInfos.isEmpty(); }

        static Decoded unusable(StepFindings findings) {
            return new Decoded(List.of(), List.of(), List.of(), null, findings);
        }
    }

    /** @param cms the signature file's bytes, possibly empty; never throws for malformed input */
    static Decoded decode(byte[] cms) {
        String text = new String(cms, StandardCharsets.ISO_8859_1);
        if (text.isBlank()) {
            return Decoded.unusable(StepFindings.of(FindingCode.SIGNATURE_MISSING, SIGNATURE, "the signature is empty"));
        }
        byte[] der = cms;
        String trimmed = text.strip();
        if (trimmed.startsWith("-----BEGIN ")) {
            try {
                der = pemContent(trimmed);
            } catch (Invalid e) {
                return Decoded.unusable(e.findings());
            }
        }
        CMSSignedData signed;
        try {
            ContentInfo ci = ContentInfo.getInstance(ASN1Primitive.fromByteArray(der));
            if (!CMSObjectIdentifiers.signedData.equals(ci.getContentType())) {
                return invalid("CMS content type is " + ci.getContentType().getId() + ", not id-signedData (RFC 5652 §5.1)");
            }
            signed = new CMSSignedData(ci);
        } catch (IOException | CMSException | RuntimeException e) {
            return invalid("the signature is not a parsable CMS SignedData: " + e.getMessage());
        }
        return signedData(signed);
    }

    private static Decoded signedData(CMSSignedData signed) {
        List<SignerInformation> infos;
        List<X509Certificate> certificates = new ArrayList<>();
        List<X509CertificateHolder> undecodable = new ArrayList<>();
        ASN1ObjectIdentifier eContentType;
        try {
            infos = new ArrayList<>(signed.getSignerInfos().getSigners());
            certificates(signed, certificates, undecodable);
            eContentType = new ASN1ObjectIdentifier(signed.getSignedContentTypeOID());
        } catch (RuntimeException e) {
            return invalid("malformed CMS SignedData: " + e.getMessage());
        }
        if (signed.getSignedContent() != null) {
            return invalid("CMS SignedData encapsulates content; a detached signature was expected (RFC 5652 §5.2)");
        }
        if (infos.isEmpty()) {
            return invalid("CMS SignedData has no SignerInfo");
        }
        int version = signed.getVersion();
        StepFindings findings = version == 1 || version == 3 || version == 4 || version == 5 ? StepFindings.NONE
                : StepFindings.of(FindingCode.SIGNATURE_INVALID, SIGNATURE,
                        "SignedData version " + version + " is not 1, 3, 4 or 5 (RFC 5652 §5.1)");
        return new Decoded(infos, certificates, undecodable, eContentType, findings);
    }

    private static Decoded invalid(String detail) {
        return Decoded.unusable(StepFindings.of(FindingCode.SIGNATURE_INVALID, SIGNATURE, detail));
    }

    /** The DER inside exactly one PEM block of a CMS type, nothing after its END line (RFC 7468 §2). */
    private static byte[] pemContent(String trimmed) throws Invalid {
        int endMarker = trimmed.indexOf("-----END ");
        int endLine = endMarker < 0 ? -1 : trimmed.indexOf("-----", endMarker + 9);
        if (endLine < 0) {
            throw new Invalid("truncated PEM signature (no END line)");
        }
        if (!trimmed.substring(endLine + 5).isBlank()) {
            throw new Invalid("data after the PEM END line");
        }
        try (PemReader reader = new PemReader(new StringReader(trimmed))) {
            PemObject obj = reader.readPemObject();
            if (obj == null || !PEM_TYPES.contains(obj.getType())) {
                throw new Invalid("PEM block is not CMS/PKCS7: " + (obj == null ? "none" : obj.getType()));
            }
            if (reader.readPemObject() != null) {
                throw new Invalid("more than one PEM block");
            }
            return obj.getContent();
        } catch (IOException | RuntimeException e) {
            throw new Invalid("malformed PEM signature: " + e.getMessage());
        }
    }

    private static void certificates(CMSSignedData signed, List<X509Certificate> out, List<X509CertificateHolder> undecodable) {
        JcaX509CertificateConverter conv = new JcaX509CertificateConverter();
        for (X509CertificateHolder h : signed.getCertificates().getMatches(null)) {
            try {
                out.add(conv.getCertificate(h));
            } catch (GeneralSecurityException | RuntimeException e) {
                undecodable.add(h);
            }
        }
    }

    /** A PEM framing problem: the SIGNATURE_INVALID finding that ends decoding. */
    private static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String detail) {
            super(detail, null, false, false);
        }

        StepFindings findings() {
            return StepFindings.of(FindingCode.SIGNATURE_INVALID, SIGNATURE, getMessage());
        }
    }
}
