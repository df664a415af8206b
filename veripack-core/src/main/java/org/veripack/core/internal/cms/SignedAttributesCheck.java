package org.veripack.core.internal.cms;

import static org.veripack.core.internal.cms.StepFindings.SIGNATURE;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Set;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.CMSAlgorithmProtection;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.SignerInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cms.SignerInformation;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;

/**
 * Steps 4 and 5 of the CMS checklist, one SignerInfo's signed part (RFC 5652 §5.3, §5.4, §5.6, §11.1, §11.2;
 * RFC 6211 §3): version matching the signer identifier; signed attributes required; exactly one
 * content-type equal to eContentType; exactly one messageDigest equal to the content digest; a
 * CMSAlgorithmProtection, when present, naming the SignerInfo's algorithms; the signature value over the
 * DER signed attributes. Each failure is {@code SIGNATURE_INVALID}, subject {@code signature}.
 */
final class SignedAttributesCheck {
    private static final HexFormat HEX = HexFormat.of();

    private SignedAttributesCheck() { }

    /** @param present whether signed attributes exist (without them no signature value is checked) */
    record Result(boolean present, StepFindings findings) { }

    /** RFC 5652 §5.3: version 1 with issuerAndSerialNumber, 3 with subjectKeyIdentifier. */
    static StepFindings version(SignerInformation si, int index) {
        int expected = si.getSID().getSubjectKeyIdentifier() != null ? 3 : 1;
        return si.getVersion() == expected ? StepFindings.NONE : StepFindings.of(FindingCode.SIGNATURE_INVALID, SIGNATURE,
                "SignerInfo " + index + " version " + si.getVersion() + " does not match its signer identifier (RFC 5652 §5.3)");
    }

    /**
     * @param digestName the SignerInfo's digest (null when unknown: the messageDigest value is then not compared)
     * @param digests    the content digests of the alternative the SignerInfo signs
     */
    static Result attributes(SignerInformation si, int index, ASN1ObjectIdentifier eContentType, String digestName,
                             Map<String, byte[]> digests) {
        ASN1Set attrs = si.toASN1Structure().getAuthenticatedAttributes();
        if (attrs == null || attrs.size() == 0) {
            return new Result(false, StepFindings.of(FindingCode.SIGNATURE_INVALID, SIGNATURE, "SignerInfo " + index
                    + " has no signed attributes; Veripack requires content-type and messageDigest (RFC 5652 §5.3)"));
        }
        StepFindings.Builder findings = new StepFindings.Builder();
        String where = "SignerInfo " + index + ": ";
        contentType(all(attrs, CMSAttributes.contentType), index, where, eContentType, findings);
        messageDigest(all(attrs, CMSAttributes.messageDigest), index, where, digestName, digests, findings);
        algorithmProtection(all(attrs, CMSAttributes.cmsAlgorithmProtect), si.toASN1Structure(), where, findings);
        return new Result(true, findings.build());
    }

    private static List<Attribute> all(ASN1Set attrs, ASN1ObjectIdentifier type) {
        List<Attribute> out = new ArrayList<>();
        for (ASN1Encodable e : attrs) {
            Attribute a = Attribute.getInstance(e);
            if (type.equals(a.getAttrType())) {
                out.add(a);
            }
        }
        return out;
    }

    /** RFC 5652 §11.1: present, single-valued, equal to eContentType. */
    private static void contentType(List<Attribute> contentTypes, int index, String where, ASN1ObjectIdentifier eContentType,
                                    StepFindings.Builder findings) {
        if (contentTypes.size() != 1 || contentTypes.get(0).getAttrValues().size() != 1) {
            findings.add(FindingCode.SIGNATURE_INVALID, SIGNATURE, where + "content-type signed attribute missing or not single-valued");
            return;
        }
        ASN1Encodable v = contentTypes.get(0).getAttrValues().getObjectAt(0);
        if (!(v instanceof ASN1ObjectIdentifier) || !v.equals(eContentType)) {
            findings.once("contentType" + index, Finding.mismatch(FindingCode.SIGNATURE_INVALID, SIGNATURE,
                    where + "content-type signed attribute differs from eContentType (RFC 5652 §11.1)",
                    String.valueOf(eContentType), String.valueOf(v)));
        }
    }

    /** RFC 5652 §11.2: present, single-valued, equal to the digest of the content. */
    private static void messageDigest(List<Attribute> messageDigests, int index, String where, String digestName,
                                      Map<String, byte[]> digests, StepFindings.Builder findings) {
        if (messageDigests.size() != 1 || messageDigests.get(0).getAttrValues().size() != 1
                || !(messageDigests.get(0).getAttrValues().getObjectAt(0) instanceof ASN1OctetString claimedValue)) {
            findings.add(FindingCode.SIGNATURE_INVALID, SIGNATURE, where + "messageDigest signed attribute missing or malformed");
            return;
        }
        if (digestName != null && digests.containsKey(digestName)) {
            byte[] claimed = claimedValue.getOctets();
            byte[] actual = digests.get(digestName);
            if (!SignatureValueVerifier.digestsEqual(claimed, actual)) {
                findings.once("messageDigest" + index, Finding.mismatch(FindingCode.SIGNATURE_INVALID, SIGNATURE,
                        where + "messageDigest does not match the " + digestName + " of the content (RFC 5652 §11.2)",
                        HEX.formatHex(claimed), HEX.formatHex(actual)));
            }
        }
    }

    /** RFC 6211 §3: when present, the protected algorithms must be the ones the SignerInfo uses. */
    private static void algorithmProtection(List<Attribute> protections, SignerInfo info, String where,
                                            StepFindings.Builder findings) {
        if (protections.size() > 1 || (protections.size() == 1 && protections.get(0).getAttrValues().size() != 1)) {
            findings.add(FindingCode.SIGNATURE_INVALID, SIGNATURE, where + "CMSAlgorithmProtection not single-valued");
        } else if (protections.size() == 1) {
            try {
                CMSAlgorithmProtection p = CMSAlgorithmProtection.getInstance(protections.get(0).getAttrValues().getObjectAt(0));
                if (!sameAlgorithm(p.getDigestAlgorithm(), info.getDigestAlgorithm())
                        || !sameAlgorithm(p.getSignatureAlgorithm(), info.getDigestEncryptionAlgorithm())) {
                    findings.add(FindingCode.SIGNATURE_INVALID, SIGNATURE, where
                            + "CMSAlgorithmProtection names other algorithms than the SignerInfo (RFC 6211 §3)");
                }
            } catch (RuntimeException e) {
                findings.add(FindingCode.SIGNATURE_INVALID, SIGNATURE, where + "malformed CMSAlgorithmProtection");
            }
        }
    }

    private static boolean sameAlgorithm(AlgorithmIdentifier a, AlgorithmIdentifier b) {
        if (a == null || b == null || !a.getAlgorithm().equals(b.getAlgorithm())) {
            return false;
        }
        ASN1Encodable pa = a.getParameters() == null ? DERNull.INSTANCE : a.getParameters();
        ASN1Encodable pb = b.getParameters() == null ? DERNull.INSTANCE : b.getParameters();
        return pa.toASN1Primitive().equals(pb.toASN1Primitive());
    }

    /** Step 5 (RFC 5652 §5.4, §5.6): the signature value over the DER encoding of the signed attributes. */
    static StepFindings signatureValue(SignerInformation si, int index, AlgorithmPolicy.SignerAlgorithms algs) {
        byte[] signedAttributes;
        try {
            signedAttributes = si.getEncodedSignedAttributes();
        } catch (IOException e) {
            return StepFindings.of(FindingCode.SIGNATURE_INVALID, SIGNATURE, "SignerInfo " + index + ": signed attributes cannot be DER-encoded");
        }
        if (!SignatureValueVerifier.verify(algs.signature(), algs.key(), signedAttributes, si.getSignature())) {
            return StepFindings.of(FindingCode.SIGNATURE_INVALID, SIGNATURE, "SignerInfo " + index
                    + ": the signature value does not verify with the signer's key (RFC 5652 §5.6)");
        }
        return StepFindings.NONE;
    }
}
