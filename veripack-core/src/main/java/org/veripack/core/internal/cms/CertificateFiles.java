package org.veripack.core.internal.cms;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

/**
 * The one decoding of a certificate file's bytes, for trust anchors, intermediates, time-stamp anchors, a signer's
 * certificate and chain, and the certificate file inside a package: PEM (RFC 7468: every {@code CERTIFICATE}
 * block, and {@code PKCS7} blocks' certificates, in file order; other blocks such as a private key skipped), else
 * DER (one certificate, or a PKCS #7 certificate bag). The certificates are the JDK's X.509 objects.
 */
public final class CertificateFiles {
    private static final String PEM_BEGIN = "-----BEGIN ";

    private CertificateFiles() { }

    /**
     * Decodes every certificate of {@code bytes}.
     *
     * @return the certificates in file order; empty when PEM text holds no certificate block
     * @throws CertificateException when a certificate block, or the DER, is not a certificate
     */
    public static List<X509Certificate> decode(byte[] bytes) throws CertificateException {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        List<X509Certificate> out = new ArrayList<>();
        if (!isPem(bytes)) {
            addAll(out, cf.generateCertificates(new ByteArrayInputStream(bytes)));
            return out;
        }
        try (PemReader pem = new PemReader(new InputStreamReader(new ByteArrayInputStream(bytes), StandardCharsets.US_ASCII))) {
            PemObject o;
            while ((o = pem.readPemObject()) != null) {
                switch (o.getType()) {
                    case "CERTIFICATE", "X509 CERTIFICATE" ->
                            out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(o.getContent())));
                    case "PKCS7" -> addAll(out, cf.generateCertificates(new ByteArrayInputStream(o.getContent())));
                    default -> { } // a key or parameters beside the certificates
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new CertificateException("malformed PEM: " + e.getMessage(), e);
        }
        return out;
    }

    /** Whether the first 4 KiB hold a PEM encapsulation boundary ({@code -----BEGIN }). */
    public static boolean isPem(byte[] bytes) {
        String head = new String(bytes, 0, Math.min(bytes.length, 4096), StandardCharsets.ISO_8859_1);
        return head.contains(PEM_BEGIN);
    }

    private static void addAll(List<X509Certificate> out, Collection<? extends Certificate> certs) {
        for (Certificate c : certs) {
            out.add((X509Certificate) c);
        }
    }
}
