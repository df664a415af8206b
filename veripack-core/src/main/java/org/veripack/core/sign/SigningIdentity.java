package org.veripack.core.sign;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * A signer: private key, its certificate and the chain to embed in the CMS (without the trust anchor
 * unless the vendor wants it). Loaded by {@code SigningIdentities} from PEM PKCS#8 + PEM certificates,
 * or PKCS#12 (later: PKCS#11).
 */
public record SigningIdentity(PrivateKey privateKey, X509Certificate certificate, List<X509Certificate> chain) {
    public SigningIdentity {
        Objects.requireNonNull(privateKey, "privateKey");
        Objects.requireNonNull(certificate, "certificate");
        chain = List.copyOf(chain);
    }
}
