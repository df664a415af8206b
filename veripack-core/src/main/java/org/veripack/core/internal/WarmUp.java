package org.veripack.core.internal;

import java.io.ByteArrayInputStream;
import java.security.MessageDigest;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.veripack.core.internal.cms.SignatureValueVerifier;

/**
 * Start-up work every verification needs anyway, run on a daemon thread while the CLI parses its
 * arguments ({@code PackageVerifier.warmUp()}): the first X.509 parse (JCA factory look-up, the
 * JDK's security-event logger, OID tables), the JDK's ECDSA code the PKIX path check uses for
 * certificate signatures, Bouncy Castle's certificate, CMS and PEM classes and its P-256 ECDSA (the CMS
 * signature check), and the time-zone data the zip reader initialises for DOS timestamps.
 *
 * <p>It works on {@link #SAMPLE}, a self-signed P-256 certificate made for this purpose only; it is
 * parsed and its own signature checked, never trusted or compared with anything. Nothing computed here
 * is used, so a verification is identical with or without the warm-up (code that needs a class still
 * being initialised waits for it, JLS §12.4.2). Failures are ignored: a verification reports its own.
 */
public final class WarmUp implements Runnable {
    /** DER, base64: {@code CN=Veripack start-up warm-up sample (not a trust anchor)}, ecdsa-with-SHA256. */
    private static final String SAMPLE =
            "MIIB2DCCAX2gAwIBAgIUPJ6HxHr6UpaKItY3Y+ZB/snBGQgwCgYIKoZIzj0EAwIwQDE+MDwGA1UEAww1VmVyaXBhY2sgc3RhcnQt"
            + "dXAgd2FybS11cCBzYW1wbGUgKG5vdCBhIHRydXN0IGFuY2hvcikwIBcNMjYxMTMwMDczODQ0WhgPMjEyNjExMDYwNzM4NDRaMEAx"
            + "PjA8BgNVBAMMNVZlcmlwYWNrIHN0YXJ0LXVwIHdhcm0tdXAgc2FtcGxlIChub3QgYSB0cnVzdCBhbmNob3IpMFkwEwYHKoZIzj0C"
            + "AQYIKoZIzj0DAQcDQgAEH+kylrxhC0OphNXiUeUlHb55Ulyd+0GZYacB1DN8QG/G0caW3yM77BTlqEcMTFmxu3qxUrBlEu/qrXPN"
            + "n9NeNqNTMFEwHQYDVR0OBBYEFMZ/ZY21tKRzEdc9pnlvRmJpuDGwMB8GA1UdIwQYMBaAFMZ/ZY21tKRzEdc9pnlvRmJpuDGwMA8G"
            + "A1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIhAJaB13/x0zOL9fc3FCNV4/bvwdnkwxmMcg1KihSXIKMFAiEAzwrlGoMJ"
            + "4kzqX/FJS4u6Lx9cCMyczft8gb/D05dIIdY=";

    @Override
    public void run() {
        try {
            warm();
        } catch (Exception | LinkageError e) {
            // start-up only: the verification reports whatever is really wrong
        }
    }

    /**
     * The warm-up steps; throws what a step throws (tests call it to see that every step still runs).
     *
     * @throws Exception from the first step that fails
     */
    public static void warm() throws Exception {
        byte[] der = Base64.getDecoder().decode(SAMPLE);
        X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
        MessageDigest.getInstance("SHA-256").digest(der);
        ClassLoader loader = WarmUp.class.getClassLoader();
        // commons-compress computes a DOS-time constant in its static initialiser (Calendar, tzdb)
        Class.forName("org.apache.commons.compress.archivers.zip.ZipUtil", true, loader);
        Class.forName("org.bouncycastle.cms.CMSSignedData", true, loader);
        Class.forName("org.bouncycastle.util.io.pem.PemReader", true, loader);
        X509CertificateHolder holder = new X509CertificateHolder(der);
        AlgorithmIdentifier sigAlg = holder.getSignatureAlgorithm();
        if (!SignatureValueVerifier.verify(SignatureValueVerifier.signatureAlgorithm(sigAlg),
                SignatureValueVerifier.publicKey(holder.getSubjectPublicKeyInfo(), 2048),
                holder.toASN1Structure().getTBSCertificate().getEncoded("DER"), holder.getSignature())) {
            throw new IllegalStateException("the warm-up sample's own signature does not verify");
        }
        CertPathBuilder.getInstance("PKIX");
        CertPathValidator.getInstance("PKIX");
        cert.verify(cert.getPublicKey());
    }
}
