package org.veripack.scas.internal;

import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.pki.TestPki.KeyType;

/**
 * The signers the harness uses for the re-signing variants, all generated for this run:
 * <ul>
 *   <li>an untrusted root and a code-signing leaf under it (the target never trusts it);</li>
 *   <li>a test CA (generated, or the lab's own CA that the target trusts) issuing an expired
 *       code-signing leaf, a valid leaf without the code-signing EKU (serverAuth only) and a valid
 *       code-signing leaf (used to sign packages whose only defect is an unsafe path).</li>
 * </ul>
 * None of them is the vendor's key: the harness never needs it.
 *
 * @param testCa          the test CA
 * @param testCaProvided  true when the lab supplied the test CA
 * @param untrustedRoot   self-signed root the target does not trust
 * @param untrustedLeaf   code-signing leaf under {@code untrustedRoot}
 * @param expiredLeaf     code-signing leaf under {@code testCa}, expired one day before {@code now}
 * @param nonCodeSigning  leaf under {@code testCa} valid at {@code now} with EKU serverAuth only
 * @param validLeaf       code-signing leaf under {@code testCa} valid at {@code now}
 */
public record HarnessPki(Issued testCa, boolean testCaProvided, Issued untrustedRoot, Issued untrustedLeaf,
                         Issued expiredLeaf, Issued nonCodeSigning, Issued validLeaf) {

    /**
     * Generates the harness signers valid around {@code now}.
     *
     * @param providedCaCert lab CA certificate or null to generate a test CA
     * @param providedCaKey  its private key (with {@code providedCaCert})
     */
    public static HarnessPki generate(Instant now, KeyType keyType, X509Certificate providedCaCert,
                                      PrivateKey providedCaKey) {
        Instant from = now.minus(Duration.ofDays(1));
        Instant to = now.plus(Duration.ofDays(365));
        Issued ca = providedCaCert != null
                ? new Issued(new KeyPair(providedCaCert.getPublicKey(), providedCaKey), providedCaCert)
                : TestPki.cert("CN=Veripack SCAS Test CA,O=Veripack SCAS harness").keyType(keyType)
                        .validity(from, to).ca(true).build();
        Issued root = TestPki.cert("CN=Veripack SCAS Untrusted Root,O=Veripack SCAS harness").keyType(keyType)
                .validity(from, to).ca(true).build();
        Issued untrusted = TestPki.cert("CN=Veripack SCAS Untrusted Signer,O=Veripack SCAS harness").keyType(keyType)
                .validity(from, to).codeSigningEku(true).issuedBy(root).build();
        Issued expired = TestPki.cert("CN=Veripack SCAS Expired Signer,O=Veripack SCAS harness").keyType(keyType)
                .validity(now.minus(Duration.ofDays(366)), now.minus(Duration.ofDays(1)))
                .codeSigningEku(true).issuedBy(ca).build();
        Issued noEku = TestPki.cert("CN=Veripack SCAS TLS-only Signer,O=Veripack SCAS harness").keyType(keyType)
                .validity(from, to).extendedKeyUsage(KeyPurposeId.id_kp_serverAuth).issuedBy(ca).build();
        Issued valid = TestPki.cert("CN=Veripack SCAS Valid Test Signer,O=Veripack SCAS harness").keyType(keyType)
                .validity(from, to).codeSigningEku(true).issuedBy(ca).build();
        return new HarnessPki(ca, providedCaCert != null, root, untrusted, expired, noEku, valid);
    }
}
