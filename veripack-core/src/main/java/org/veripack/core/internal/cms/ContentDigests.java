package org.veripack.core.internal.cms;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Set;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.cms.SignerInformation;

/**
 * Step 2 of the CMS checklist (RFC 5652 §5.6: "the message digest is computed on the content"): each
 * alternative of the signed content is read once, through every digest the SignerInfos name (known OIDs
 * only; an unknown one is reported by {@link AlgorithmPolicy}), and through the caller's extra digest when
 * one is asked for, so a detached package is read and hashed once.
 *
 * @param alternatives per alternative content, in the caller's order: JCA digest name → digest value
 * @param extraDigest  the first alternative's digest under the extra algorithm, or null when none was asked
 * @param contentBytes the length of the first alternative
 */
record ContentDigests(List<Map<String, byte[]>> alternatives, byte[] extraDigest, long contentBytes) {
    ContentDigests {
        alternatives = List.copyOf(alternatives);
    }

    /**
     * @param extraDigest a JDK digest name to compute over the first alternative too, or null
     * @throws IOException when an alternative cannot be read
     */
    static ContentDigests compute(List<SignerInformation> infos, List<SignedContent> contents, String extraDigest)
            throws IOException {
        Map<String, MessageDigest> named = new LinkedHashMap<>();
        for (SignerInformation si : infos) {
            try {
                String name = SignatureValueVerifier.digestName(si.getDigestAlgorithmID());
                if (!named.containsKey(name)) {
                    named.put(name, MessageDigest.getInstance(name));
                }
            } catch (AlgorithmRejectedException | NoSuchAlgorithmException e) {
                // reported per signer by AlgorithmPolicy
            }
        }
        List<Map<String, byte[]>> alternatives = new ArrayList<>();
        byte[] extra = null;
        long length = 0;
        for (SignedContent content : contents) {
            boolean first = alternatives.isEmpty();
            MessageDigest also = first && extraDigest != null
                    ? (named.containsKey(extraDigest) ? named.get(extraDigest) : instance(extraDigest)) : null;
            if (named.isEmpty() && also == null) {
                alternatives.add(Map.of());
                continue;
            }
            List<MessageDigest> all = new ArrayList<>(named.values());
            boolean alsoSeparate = also != null && !named.containsValue(also);
            if (alsoSeparate) {
                all.add(also);
            }
            long n = content.digest(all.toArray(MessageDigest[]::new));
            Map<String, byte[]> values = new LinkedHashMap<>();
            named.forEach((name, md) -> values.put(name, md.digest()));
            if (first) {
                length = n;
                extra = also == null ? null : alsoSeparate ? also.digest() : values.get(extraDigest).clone();
            }
            alternatives.add(values);
        }
        return new ContentDigests(alternatives, extra, length);
    }

    private static MessageDigest instance(String name) {
        try {
            return MessageDigest.getInstance(name);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalArgumentException("the JDK lacks " + name, e);
        }
    }

    /**
     * The digests of the alternative whose {@code digestName} digest equals the SignerInfo's single
     * messageDigest attribute (RFC 5652 §11.2 binds the signature to exactly one content), else those of the
     * first alternative ({@link SignedAttributesCheck} then reports the mismatch).
     */
    Map<String, byte[]> signedAlternative(SignerInformation si, String digestName) {
        ASN1Set attrs = si.toASN1Structure().getAuthenticatedAttributes();
        if (alternatives.size() > 1 && digestName != null && attrs != null) {
            List<byte[]> claimed = new ArrayList<>();
            for (ASN1Encodable e : attrs) {
                Attribute a = Attribute.getInstance(e);
                if (CMSAttributes.messageDigest.equals(a.getAttrType()) && a.getAttrValues().size() == 1
                        && a.getAttrValues().getObjectAt(0) instanceof ASN1OctetString o) {
                    claimed.add(o.getOctets());
                }
            }
            if (claimed.size() == 1) {
                for (Map<String, byte[]> alternative : alternatives) {
                    byte[] actual = alternative.get(digestName);
                    if (actual != null && SignatureValueVerifier.digestsEqual(claimed.get(0), actual)) {
                        return alternative;
                    }
                }
            }
        }
        return alternatives.get(0);
    }
}
