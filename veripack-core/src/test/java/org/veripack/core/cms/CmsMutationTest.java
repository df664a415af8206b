package org.veripack.core.cms;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.veripack.core.cms.CmsFixtures.sign;
import static org.veripack.core.cms.CmsFixtures.trusting;
import static org.veripack.core.cms.CmsFixtures.verify;

import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.cms.CMSSignedData;
import org.junit.jupiter.api.Test;
import org.veripack.core.TrustPolicy;
import org.veripack.core.internal.cms.SignatureCheckResult;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;

/**
 * Hostile-input robustness: every single-byte corruption of a genuine SignedData is reported as findings,
 * never an exception, and only a corruption of the unsigned, informational {@code digestAlgorithms} set of
 * SignedData (RFC 5652 §5.1) may still verify.
 */
class CmsMutationTest {
    @Test
    void everySingleByteCorruptionIsAFindingNeverACrash() throws Exception {
        Issued root = TestPki.cert("CN=Mutation Root").ca(true).build();
        Issued ca = TestPki.cert("CN=Mutation CA").ca(true).issuedBy(root).build();
        Issued leaf = TestPki.cert("CN=Mutation Signer").issuedBy(ca).build();
        TrustPolicy policy = trusting(root);
        byte[] der = sign(leaf, ca.certificate());
        byte[] digestAlgorithmsSet = digestAlgorithmsEncoding(der);
        int from = indexOf(der, digestAlgorithmsSet);
        int to = from + digestAlgorithmsSet.length;
        List<String> unexpected = new ArrayList<>();
        for (int i = 0; i < der.length; i++) {
            byte[] m = der.clone();
            m[i] ^= (byte) 0xA5;
            SignatureCheckResult r;
            try {
                r = verify(m, policy);
            } catch (RuntimeException e) {
                unexpected.add("byte " + i + ": exception " + e);
                continue;
            }
            if (r.valid() && (i < from || i >= to)) {
                unexpected.add("byte " + i + ": still valid");
            }
        }
        assertTrue(unexpected.isEmpty(), String.join("\n", unexpected));
    }

    private static byte[] digestAlgorithmsEncoding(byte[] der) throws Exception {
        return org.bouncycastle.asn1.cms.SignedData.getInstance(new CMSSignedData(der).toASN1Structure().getContent())
                .getDigestAlgorithms().getEncoded("DER");
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
