package org.veripack.scas.internal;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.veripack.core.sign.SigningIdentity;
import org.veripack.scas.ScasHarness;

/**
 * The signers the harness uses for the re-signing variants, all generated for this run (the harness's own
 * throw-away lab CA: it needs certificates the target must refuse, which no real PKI would issue):
 * <ul>
 *   <li>an untrusted root and a code-signing leaf under it (the target never trusts it);</li>
 *   <li>a test CA (generated, or the lab's own CA that the target trusts) issuing an expired
 *       code-signing leaf, a valid leaf without the code-signing EKU (serverAuth only) and a valid
 *       code-signing leaf (used to sign packages whose only defect is an unsafe path).</li>
 * </ul>
 * None of them is the vendor's key: the harness never needs it. Each is a {@link SigningIdentity} without a
 * chain (the re-signing cases add the issuer's certificate). Certificates are X.509 v3 (RFC 5280) built
 * with Bouncy Castle: subject/authority key identifiers, critical basicConstraints, critical keyUsage
 * (keyCertSign|cRLSign for CAs, digitalSignature for leaves) and, for leaves, the extendedKeyUsage the case
 * needs (RFC 5280 §4.2.1.12).
 *
 * @param testCa          the test CA
 * @param testCaProvided  true when the lab supplied the test CA
 * @param untrustedRoot   self-signed root the target does not trust
 * @param untrustedLeaf   code-signing leaf under {@code untrustedRoot}
 * @param expiredLeaf     code-signing leaf under {@code testCa}, expired one day before {@code now}
 * @param nonCodeSigning  leaf under {@code testCa} valid at {@code now} with EKU serverAuth only
 * @param validLeaf       code-signing leaf under {@code testCa} valid at {@code now}
 */
public record HarnessPki(SigningIdentity testCa, boolean testCaProvided, SigningIdentity untrustedRoot,
                         SigningIdentity untrustedLeaf, SigningIdentity expiredLeaf, SigningIdentity nonCodeSigning,
                         SigningIdentity validLeaf) {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The certificate's subject DN (RFC 4514), as reports and node findings name the signer. */
    public static String subject(SigningIdentity signer) {
        return signer.certificate().getSubjectX500Principal().getName();
    }

    /**
     * Generates the harness signers valid around {@code now} (from one day before to 365 days after).
     *
     * @param keyType        key type of every generated key pair
     * @param providedCaCert lab CA certificate or null to generate a test CA
     * @param providedCaKey  its private key (with {@code providedCaCert})
     * @throws IllegalArgumentException when a certificate cannot be issued with the lab CA's key
     */
    public static HarnessPki generate(Instant now, ScasHarness.KeyType keyType, X509Certificate providedCaCert,
                                      PrivateKey providedCaKey) {
        Instant from = now.minus(Duration.ofDays(1));
        Instant to = now.plus(Duration.ofDays(365));
        SigningIdentity ca = providedCaCert != null
                ? new SigningIdentity(providedCaKey, providedCaCert, List.of())
                : issue("CN=Veripack SCAS Test CA,O=Veripack SCAS harness", keyType, from, to, null, null);
        SigningIdentity root = issue("CN=Veripack SCAS Untrusted Root,O=Veripack SCAS harness", keyType, from, to, null, null);
        SigningIdentity untrusted = issue("CN=Veripack SCAS Untrusted Signer,O=Veripack SCAS harness", keyType, from, to, root,
                KeyPurposeId.id_kp_codeSigning);
        SigningIdentity expired = issue("CN=Veripack SCAS Expired Signer,O=Veripack SCAS harness", keyType,
                now.minus(Duration.ofDays(366)), now.minus(Duration.ofDays(1)), ca, KeyPurposeId.id_kp_codeSigning);
        SigningIdentity noEku = issue("CN=Veripack SCAS TLS-only Signer,O=Veripack SCAS harness", keyType, from, to, ca,
                KeyPurposeId.id_kp_serverAuth);
        SigningIdentity valid = issue("CN=Veripack SCAS Valid Test Signer,O=Veripack SCAS harness", keyType, from, to, ca,
                KeyPurposeId.id_kp_codeSigning);
        return new HarnessPki(ca, providedCaCert != null, root, untrusted, expired, noEku, valid);
    }

    /**
     * A fresh key pair and its certificate: a self-signed CA when {@code issuer} is null, else a leaf signed by
     * {@code issuer} with extendedKeyUsage {@code eku}.
     */
    private static SigningIdentity issue(String subjectDn, ScasHarness.KeyType keyType, Instant from, Instant to,
                                         SigningIdentity issuer, KeyPurposeId eku) {
        KeyPair kp = generateKeyPair(keyType);
        boolean ca = issuer == null;
        try {
            SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(kp.getPublic().getEncoded());
            X500Name subject = X500Name.getInstance(new X500Principal(subjectDn).getEncoded());
            PublicKey signingPublic = ca ? kp.getPublic() : issuer.certificate().getPublicKey();
            PrivateKey signingKey = ca ? kp.getPrivate() : issuer.privateKey();
            SubjectPublicKeyInfo signingSpki = SubjectPublicKeyInfo.getInstance(signingPublic.getEncoded());
            X500Name issuerName = ca ? subject
                    : X500Name.getInstance(issuer.certificate().getSubjectX500Principal().getEncoded());
            // RFC 5280 §4.1.2.2: a positive serial of at most 20 octets, unique per issuer (64 random bits)
            BigInteger serial = new BigInteger(64, RANDOM).setBit(0);
            X509v3CertificateBuilder b = new X509v3CertificateBuilder(issuerName, serial, Date.from(from), Date.from(to),
                    subject, spki);
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            b.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(spki));
            b.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(signingSpki));
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            b.addExtension(Extension.keyUsage, true,
                    new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
            if (eku != null) {
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(eku));
            }
            return new SigningIdentity(kp.getPrivate(), new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder(signatureAlgorithm(signingPublic)).build(signingKey))), List.of());
        } catch (OperatorCreationException | GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot issue the harness certificate " + subjectDn + ": " + e.getMessage(), e);
        }
    }

    private static KeyPair generateKeyPair(ScasHarness.KeyType keyType) {
        try {
            KeyPairGenerator g;
            if (keyType == ScasHarness.KeyType.EC_P256) {
                g = KeyPairGenerator.getInstance("EC");
                g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            } else {
                g = KeyPairGenerator.getInstance("RSA");
                g.initialize(new RSAKeyGenParameterSpec(2048, RSAKeyGenParameterSpec.F4), RANDOM);
            }
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot generate " + keyType + " keys", e);
        }
    }

    /**
     * The certificate signature algorithm for an issuer key (a lab CA may hold any key the verifier accepts): ECDSA
     * with the SHA-2 hash matching the curve size, SHA256withRSA, else Ed25519 (another key type fails to sign).
     */
    private static String signatureAlgorithm(PublicKey key) {
        if (key instanceof ECPublicKey ec) {
            int bits = ec.getParams().getOrder().bitLength();
            return "SHA" + (bits <= 256 ? 256 : bits <= 384 ? 384 : 512) + "withECDSA";
        }
        return key instanceof RSAPublicKey ? "SHA256withRSA" : "Ed25519";
    }

    /** Certificates as concatenated PEM {@code CERTIFICATE} blocks (RFC 7468 §5), US-ASCII. */
    public static byte[] certificatesPem(X509Certificate... certs) {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(text)) {
            for (X509Certificate c : certs) {
                pem.writeObject(c);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Writes an unencrypted PKCS#8 private key as PEM {@code PRIVATE KEY} (RFC 5958, RFC 7468 §10) to a new file
     * readable by its owner only (mode 0600 from creation; a file of that name is replaced).
     *
     * @throws IOException when the file cannot be written
     */
    public static void writePrivateKeyPem(Path file, PrivateKey key) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(text)) {
            pem.writeObject(new JcaPKCS8Generator(key, null));
        }
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, text.toString(), StandardCharsets.US_ASCII);
    }
}
