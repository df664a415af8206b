package org.veripack.scas.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;

/**
 * Where the bytes a CMS verifier must check sit in one SignedData encoding (RFC 5652 §5.3): for each
 * SignerInfo the signature value and, when present, the signed attributes and the message-digest
 * attribute's value inside them. The structure is parsed with Bouncy Castle ({@link CMSSignedData},
 * {@link SignerInformation#getSignature()}, {@link SignerInformation#getEncodedSignedAttributes()}) and
 * each of those exact byte strings is then found in the encoding, so a flip placed in a returned range
 * is covered by the signature whatever else the encoding carries (certificates, CRLs, unsigned
 * attributes such as an RFC 3161 time-stamp token).
 *
 * <p>Like {@link CsarLayout} a locator for editing, never a verifier.
 */
public final class CmsLayout {
    /** A byte range {@code [offset, offset + length)} of the encoding. */
    public record Range(int offset, int length) {
        /** The range's last byte. */
        public int last() { return offset + length - 1; }

        /** Whether {@code other} lies entirely inside this range. */
        public boolean encloses(Range other) {
            return other.offset >= offset && other.offset + other.length <= offset + length;
        }
    }

    /**
     * One SignerInfo's covered bytes.
     *
     * @param signatureValue   the {@code signature} OCTET STRING's contents
     * @param signedAttributes the {@code signedAttrs} SET's contents and length ({@code [0] IMPLICIT}), or null
     *                         when the SignerInfo signs the content directly
     * @param messageDigest    the message-digest attribute value's contents (RFC 5652 §11.2), or null
     */
    public record Signer(Range signatureValue, Range signedAttributes, Range messageDigest) { }

    private final List<Signer> signers;

    private CmsLayout(List<Signer> signers) {
        this.signers = List.copyOf(signers);
    }

    /**
     * Locates every SignerInfo's covered bytes in {@code der}.
     *
     * @throws IllegalArgumentException when {@code der} is not a SignedData, has no SignerInfo, or one of the
     *                                  byte strings cannot be found exactly once where it belongs (e.g. a BER
     *                                  encoding with constructed OCTET STRINGs, or signed attributes not in DER
     *                                  order); the message says which
     */
    public static CmsLayout parse(byte[] der) {
        CMSSignedData cms;
        try {
            cms = new CMSSignedData(der);
        } catch (CMSException | RuntimeException e) {
            throw new IllegalArgumentException("not a CMS SignedData: " + e.getMessage(), e);
        }
        List<Signer> out = new ArrayList<>();
        int n = 0;
        for (SignerInformation si : cms.getSignerInfos().getSigners()) {
            n++;
            Range sig = once(der, si.getSignature(), 0, der.length, "the signature value of SignerInfo " + n);
            Range attrs = null;
            Range digest = null;
            byte[] encodedAttrs = encodedSignedAttributes(si, n);
            if (encodedAttrs != null) {
                // in the SignerInfo the SET is tagged [0] IMPLICIT (0xA0): same length and contents, other tag
                byte[] body = Arrays.copyOfRange(encodedAttrs, 1, encodedAttrs.length);
                attrs = once(der, body, 0, der.length, "the signed attributes of SignerInfo " + n);
                if (attrs.offset() == 0 || (der[attrs.offset() - 1] & 0xff) != 0xA0) {
                    throw new IllegalArgumentException("the signed attributes of SignerInfo " + n
                            + " are not tagged [0] where they were found");
                }
                byte[] md = messageDigest(si.getSignedAttributes());
                if (md != null) {
                    digest = once(der, md, attrs.offset(), attrs.offset() + attrs.length(),
                            "the message-digest value inside the signed attributes of SignerInfo " + n);
                }
            }
            out.add(new Signer(sig, attrs, digest));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("the SignedData has no SignerInfo");
        }
        return new CmsLayout(out);
    }

    /** The SignerInfos in encoding order. */
    public List<Signer> signers() {
        return signers;
    }

    private static byte[] encodedSignedAttributes(SignerInformation si, int n) {
        try {
            return si.getEncodedSignedAttributes();
        } catch (IOException e) {
            throw new IllegalArgumentException("the signed attributes of SignerInfo " + n + " cannot be encoded: "
                    + e.getMessage(), e);
        }
    }

    private static byte[] messageDigest(AttributeTable attrs) {
        Attribute a = attrs == null ? null : attrs.get(CMSAttributes.messageDigest);
        if (a == null || a.getAttrValues().size() != 1
                || !(a.getAttrValues().getObjectAt(0) instanceof ASN1OctetString os)) {
            return null;
        }
        return os.getOctets();
    }

    /** The one occurrence of {@code needle} in {@code hay[from, to)}; anything else is an IllegalArgumentException. */
    private static Range once(byte[] hay, byte[] needle, int from, int to, String what) {
        int found = -1;
        for (int i = from; needle.length > 0 && i + needle.length <= to; i++) {
            if (Arrays.equals(hay, i, i + needle.length, needle, 0, needle.length)) {
                if (found >= 0) {
                    throw new IllegalArgumentException(what + " occurs more than once in the encoding");
                }
                found = i;
            }
        }
        if (found < 0) {
            throw new IllegalArgumentException(what + " is not found as such in the encoding (not DER?)");
        }
        return new Range(found, needle.length);
    }
}
