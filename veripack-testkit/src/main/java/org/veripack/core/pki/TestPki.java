package org.veripack.core.pki;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.CertificatePolicies;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.PolicyInformation;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v1CertificateBuilder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.veripack.core.sign.SigningIdentity;

/**
 * A throw-away X.509 PKI for tests and benchmarks: key pairs, root/intermediate/leaf certificates
 * (RFC 5280) built with Bouncy Castle, and PEM/PKCS#12 writers. Part of the test kit
 * ({@code veripack-testkit}): other modules use it in test scope only, and production code never
 * ({@code ArchitectureTest}; the CLI jar holds none of it).
 *
 * <p><b>Never use it for production keys</b>: keys are generated without any protection, written
 * unencrypted, and certificates carry whatever (also deliberately broken) extensions the test asks
 * for.
 *
 * <p>Defaults of {@link #cert(String)}: EC P-256 key; validity {@link #DEFAULT_NOT_BEFORE} to
 * {@link #DEFAULT_NOT_AFTER}; self-signed unless {@link CertSpec#issuedBy(Issued)}; X.509 v3 with
 * subjectKeyIdentifier and authorityKeyIdentifier; a leaf gets critical basicConstraints CA:FALSE,
 * critical keyUsage digitalSignature and EKU id-kp-codeSigning; a CA ({@link CertSpec#ca(boolean)})
 * gets critical basicConstraints CA:TRUE and critical keyUsage keyCertSign|cRLSign. Signature
 * algorithm from the issuer's key: SHA256withECDSA (P-256), SHA384withECDSA (P-384),
 * SHA256withRSA (RSA), Ed25519.
 *
 * <pre>{@code
 * Issued root = TestPki.cert("CN=Test Root").ca(true).build();
 * Issued leaf = TestPki.cert("CN=Vendor Code Signing").issuedBy(root).build();
 * SigningIdentity id = leaf.identity();           // chain: nothing but the leaf
 * }</pre>
 */
public final class TestPki {
    /** Default notBefore of generated certificates: 2024-01-01T00:00:00Z. */
    public static final Instant DEFAULT_NOT_BEFORE = Instant.parse("2024-01-01T00:00:00Z");
    /** Default notAfter of generated certificates: 2044-01-01T00:00:00Z. */
    public static final Instant DEFAULT_NOT_AFTER = Instant.parse("2044-01-01T00:00:00Z");
    /** An instant inside the default validity, for {@code Clock.fixed}: 2026-01-01T00:00:00Z. */
    public static final Instant DEFAULT_NOW = Instant.parse("2026-01-01T00:00:00Z");

    /** An unregistered OID used by {@link CertSpec#criticalUnknownExtension()}. */
    public static final ASN1ObjectIdentifier UNKNOWN_EXTENSION_OID = new ASN1ObjectIdentifier("1.3.6.1.4.1.55555.1.1");

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final AtomicLong SERIALS = new AtomicLong(System.nanoTime() & 0xFFFF_FFFFL);

    private TestPki() { }

    /** Key types a test can ask for. RSA_1024 exists to test rejection of weak keys. */
    public enum KeyType { EC_P256, EC_P384, RSA_2048, RSA_3072, RSA_1024, ED25519 }

    /**
     * Generates a fresh key pair with the JDK providers.
     *
     * @throws IllegalStateException when the JDK lacks the algorithm (cannot happen on Java 17)
     */
    public static KeyPair generateKeyPair(KeyType type) {
        try {
            switch (type) {
                case EC_P256: return ec("secp256r1");
                case EC_P384: return ec("secp384r1");
                case RSA_2048: return rsa(2048);
                case RSA_3072: return rsa(3072);
                case RSA_1024: return rsa(1024);
                case ED25519: return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
                default: throw new IllegalArgumentException("unknown key type " + type);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK cannot generate " + type, e);
        }
    }

    private static KeyPair ec(String curve) throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec(curve), RANDOM);
        return g.generateKeyPair();
    }

    private static KeyPair rsa(int bits) throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(new RSAKeyGenParameterSpec(bits, RSAKeyGenParameterSpec.F4), RANDOM);
        return g.generateKeyPair();
    }

    /**
     * The JCA signature algorithm a certificate or CMS signer uses by default for this key:
     * SHA256withECDSA for P-256 (and any EC key of up to 256 bits), SHA384withECDSA for P-384,
     * SHA512withECDSA for larger curves, SHA256withRSA for RSA, Ed25519 for Ed25519.
     */
    public static String defaultSignatureAlgorithm(PublicKey key) {
        if (key instanceof ECPublicKey) {
            int bits = ((ECPublicKey) key).getParams().getCurve().getField().getFieldSize();
            return bits <= 256 ? "SHA256withECDSA" : bits <= 384 ? "SHA384withECDSA" : "SHA512withECDSA";
        }
        if (key instanceof RSAPublicKey) {
            return "SHA256withRSA";
        }
        if ("Ed25519".equals(key.getAlgorithm()) || "EdDSA".equals(key.getAlgorithm())) {
            return "Ed25519";
        }
        throw new IllegalArgumentException("unsupported key algorithm " + key.getAlgorithm());
    }

    /**
     * Starts a certificate for {@code subjectDn}, an RFC 4514 string such as {@code "CN=Acme Code Signing,O=Acme"}
     * (most specific RDN first; {@code X500Principal.getName()} returns the same string).
     */
    public static CertSpec cert(String subjectDn) {
        return new CertSpec(subjectDn);
    }

    /**
     * A key pair and the certificate issued for it.
     *
     * @param keyPair     the subject's key pair
     * @param certificate the certificate
     */
    public record Issued(KeyPair keyPair, X509Certificate certificate) {
        public Issued {
            Objects.requireNonNull(keyPair, "keyPair");
            Objects.requireNonNull(certificate, "certificate");
        }

        /** A signing identity of this key and certificate with {@code chain} (intermediates, usually without the root). */
        public SigningIdentity identity(X509Certificate... chain) {
            return new SigningIdentity(keyPair.getPrivate(), certificate, List.of(chain));
        }

        /** The certificate's subject DN (RFC 4514). */
        public String subject() {
            return certificate.getSubjectX500Principal().getName();
        }
    }

    /** Fluent description of one certificate; {@link #build()} creates it. Not thread-safe. */
    public static final class CertSpec {
        private final String subjectDn;
        private KeyType keyType = KeyType.EC_P256;
        private KeyPair keyPair;
        private SubjectPublicKeyInfo publicKeyInfo;
        private Instant notBefore = DEFAULT_NOT_BEFORE;
        private Instant notAfter = DEFAULT_NOT_AFTER;
        private boolean ca;
        private Integer pathLen;
        private boolean codeSigningEku = true;
        private KeyPurposeId[] extendedKeyUsage;
        private Integer keyUsage;
        private boolean noExtensions;
        private String signatureAlgorithm;
        private boolean criticalUnknownExtension;
        private String[] certificatePolicies;
        private Issued issuer;
        private BigInteger serial;
        private String crlDistributionPoint;
        private String ocspResponder;
        private boolean criticalEku;

        private CertSpec(String subjectDn) {
            this.subjectDn = Objects.requireNonNull(subjectDn, "subjectDn");
        }

        /** Key type of a freshly generated key pair (default EC P-256); ignored when {@link #keyPair} is set. */
        public CertSpec keyType(KeyType type) { this.keyType = Objects.requireNonNull(type); return this; }

        /** Certify this existing key pair instead of generating one. */
        public CertSpec keyPair(KeyPair kp) { this.keyPair = Objects.requireNonNull(kp); return this; }

        /**
         * Put this SubjectPublicKeyInfo in the certificate instead of the key pair's public key (attack
         * fixtures, e.g. explicit EC curve parameters). The key pair still exists and is returned.
         */
        public CertSpec subjectPublicKeyInfo(SubjectPublicKeyInfo spki) { this.publicKeyInfo = spki; return this; }

        /** Validity period, inclusive (RFC 5280 §4.1.2.5). */
        public CertSpec validity(Instant from, Instant to) {
            this.notBefore = Objects.requireNonNull(from);
            this.notAfter = Objects.requireNonNull(to);
            return this;
        }

        /** A CA certificate: basicConstraints CA:TRUE, keyUsage keyCertSign|cRLSign, no EKU unless asked for. */
        public CertSpec ca(boolean isCa) {
            this.ca = isCa;
            if (isCa) {
                codeSigningEku = false;
            }
            return this;
        }

        /** A CA certificate with basicConstraints pathLenConstraint {@code len} (RFC 5280 §4.2.1.9). */
        public CertSpec pathLen(int len) {
            ca(true);
            this.pathLen = len;
            return this;
        }

        /** Whether to add EKU id-kp-codeSigning (default true for leaves, false for CAs). */
        public CertSpec codeSigningEku(boolean v) { this.codeSigningEku = v; return this; }

        /** Exactly these extended key usages (replaces the codeSigning default); none = no EKU extension. */
        public CertSpec extendedKeyUsage(KeyPurposeId... purposes) { this.extendedKeyUsage = purposes.clone(); return this; }

        /** Exactly these keyUsage bits ({@link KeyUsage#digitalSignature} | ...); 0 = no keyUsage extension. */
        public CertSpec keyUsage(int bcKeyUsageBits) { this.keyUsage = bcKeyUsageBits; return this; }

        /** An X.509 v1 certificate without any extension. */
        public CertSpec noExtensions() { this.noExtensions = true; return this; }

        /** JCA signature algorithm name for the certificate's signature, e.g. {@code "SHA1withRSA"}. */
        public CertSpec signatureAlgorithm(String jcaName) { this.signatureAlgorithm = jcaName; return this; }

        /** Adds a critical extension with the unregistered OID {@link #UNKNOWN_EXTENSION_OID}. */
        public CertSpec criticalUnknownExtension() { this.criticalUnknownExtension = true; return this; }

        /** Issuer (its key signs, its subject becomes our issuer). Absent = self-signed. */
        public CertSpec issuedBy(Issued issuerCert) { this.issuer = issuerCert; return this; }

        /** Adds a certificatePolicies extension asserting these policy OIDs, no qualifiers (RFC 5280 §4.2.1.4). */
        public CertSpec certificatePolicies(String... oids) { this.certificatePolicies = oids.clone(); return this; }

        /** Adds a cRLDistributionPoints extension with this {@code http} URI (RFC 5280 §4.2.1.13). */
        public CertSpec crlDistributionPoint(String uri) { this.crlDistributionPoint = uri; return this; }

        /** Adds an authorityInfoAccess extension with this id-ad-ocsp URI (RFC 5280 §4.2.2.1). */
        public CertSpec ocspResponder(String uri) { this.ocspResponder = uri; return this; }

        /** Marks the extendedKeyUsage extension critical (RFC 3161 §2.3 requires it for TSA certificates). */
        public CertSpec criticalExtendedKeyUsage(boolean v) { this.criticalEku = v; return this; }

        /** Serial number (default: unique positive). */
        public CertSpec serial(BigInteger s) { this.serial = s; return this; }

        /**
         * Creates the key pair (unless given) and the certificate.
         *
         * @throws IllegalStateException when BC or the JCA fails (bad algorithm name for the key)
         */
        public Issued build() {
            KeyPair kp = keyPair != null ? keyPair : generateKeyPair(keyType);
            try {
                SubjectPublicKeyInfo spki = publicKeyInfo != null ? publicKeyInfo
                        : SubjectPublicKeyInfo.getInstance(kp.getPublic().getEncoded());
                // parsed as RFC 4514 (most specific RDN first), like X500Principal prints it back
                X500Name subject = X500Name.getInstance(new X500Principal(subjectDn).getEncoded());
                X500Name issuerName = issuer == null ? subject
                        : X500Name.getInstance(issuer.certificate().getSubjectX500Principal().getEncoded());
                PrivateKey signingKey = issuer == null ? kp.getPrivate() : issuer.keyPair().getPrivate();
                PublicKey signingPublic = issuer == null ? kp.getPublic() : issuer.keyPair().getPublic();
                String alg = signatureAlgorithm != null ? signatureAlgorithm : defaultSignatureAlgorithm(signingPublic);
                ContentSigner signer = new JcaContentSignerBuilder(alg).build(signingKey);
                BigInteger sn = serial != null ? serial : BigInteger.valueOf(SERIALS.incrementAndGet()).shiftLeft(16)
                        .add(BigInteger.valueOf(RANDOM.nextInt(0xFFFF)));
                Date from = Date.from(notBefore);
                Date to = Date.from(notAfter);
                X509CertificateHolder holder;
                if (noExtensions) {
                    holder = new X509v1CertificateBuilder(issuerName, sn, from, to, subject, spki).build(signer);
                } else {
                    X509v3CertificateBuilder b = new X509v3CertificateBuilder(issuerName, sn, from, to, subject, spki);
                    addExtensions(b, spki);
                    holder = b.build(signer);
                }
                X509Certificate cert = new JcaX509CertificateConverter().getCertificate(holder);
                return new Issued(kp, cert);
            } catch (OperatorCreationException | GeneralSecurityException | IOException e) {
                throw new IllegalStateException("cannot build test certificate " + subjectDn + ": " + e.getMessage(), e);
            }
        }

        private void addExtensions(X509v3CertificateBuilder b, SubjectPublicKeyInfo spki)
                throws CertIOException, GeneralSecurityException {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            b.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(spki));
            if (issuer != null) {
                b.addExtension(Extension.authorityKeyIdentifier, false,
                        utils.createAuthorityKeyIdentifier(SubjectPublicKeyInfo.getInstance(
                                issuer.certificate().getPublicKey().getEncoded())));
            } else {
                b.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(spki));
            }
            if (ca) {
                b.addExtension(Extension.basicConstraints, true,
                        pathLen == null ? new BasicConstraints(true) : new BasicConstraints(pathLen));
            } else {
                b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            }
            int ku = keyUsage != null ? keyUsage
                    : ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature;
            if (ku != 0) {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(ku));
            }
            List<KeyPurposeId> ekus = new ArrayList<>();
            if (extendedKeyUsage != null) {
                ekus.addAll(List.of(extendedKeyUsage));
            } else if (codeSigningEku) {
                ekus.add(KeyPurposeId.id_kp_codeSigning);
            }
            if (!ekus.isEmpty()) {
                b.addExtension(Extension.extendedKeyUsage, criticalEku,
                        new ExtendedKeyUsage(ekus.toArray(new KeyPurposeId[0])));
            }
            if (crlDistributionPoint != null) {
                GeneralNames names = new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, crlDistributionPoint));
                b.addExtension(Extension.cRLDistributionPoints, false, new CRLDistPoint(new DistributionPoint[] {
                        new DistributionPoint(new DistributionPointName(names), null, null)}));
            }
            if (ocspResponder != null) {
                b.addExtension(Extension.authorityInfoAccess, false, new AuthorityInformationAccess(AccessDescription.id_ad_ocsp,
                        new GeneralName(GeneralName.uniformResourceIdentifier, ocspResponder)));
            }
            if (certificatePolicies != null) {
                PolicyInformation[] infos = new PolicyInformation[certificatePolicies.length];
                for (int i = 0; i < infos.length; i++) {
                    infos[i] = new PolicyInformation(new ASN1ObjectIdentifier(certificatePolicies[i]));
                }
                b.addExtension(Extension.certificatePolicies, false, new CertificatePolicies(infos));
            }
            if (criticalUnknownExtension) {
                b.addExtension(UNKNOWN_EXTENSION_OID, true, new DERUTF8String("veripack test: unknown critical"));
            }
        }
    }

    /** One revoked certificate for {@link #crl}: serial, revocation date and CRLReason code (RFC 5280 §5.3.1), or -1 for none. */
    public record Revoked(BigInteger serial, Instant date, int reason) { }

    /**
     * A CRL (RFC 5280 §5) issued and signed by {@code issuer}, with cRLNumber 1.
     *
     * @param nextUpdate null for none
     * @throws IllegalStateException when BC fails
     */
    public static java.security.cert.X509CRL crl(Issued issuer, Instant thisUpdate, Instant nextUpdate, Revoked... revoked) {
        try {
            X509v2CRLBuilder b = new X509v2CRLBuilder(
                    X500Name.getInstance(issuer.certificate().getSubjectX500Principal().getEncoded()), Date.from(thisUpdate));
            if (nextUpdate != null) {
                b.setNextUpdate(Date.from(nextUpdate));
            }
            for (Revoked r : revoked) {
                if (r.reason() < 0) {
                    b.addCRLEntry(r.serial(), Date.from(r.date()), null);
                } else {
                    b.addCRLEntry(r.serial(), Date.from(r.date()), r.reason());
                }
            }
            b.addExtension(Extension.cRLNumber, false, new org.bouncycastle.asn1.x509.CRLNumber(BigInteger.ONE));
            ContentSigner signer = new JcaContentSignerBuilder(defaultSignatureAlgorithm(issuer.keyPair().getPublic()))
                    .build(issuer.keyPair().getPrivate());
            return new org.bouncycastle.cert.jcajce.JcaX509CRLConverter().getCRL(b.build(signer));
        } catch (OperatorCreationException | GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build test CRL: " + e.getMessage(), e);
        }
    }

    /**
     * Writes certificates as concatenated PEM {@code CERTIFICATE} blocks (a bundle usable as
     * {@code --chain} or {@code -CAfile}).
     *
     * @throws UncheckedIOException when the file cannot be written
     */
    public static void writeCertificatesPem(Path file, X509Certificate... certs) {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.US_ASCII);
             JcaPEMWriter pem = new JcaPEMWriter(w)) {
            for (X509Certificate c : certs) {
                pem.writeObject(c);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes an unencrypted PKCS#8 private key as PEM {@code PRIVATE KEY} (RFC 5958, RFC 7468 §10).
     *
     * @throws UncheckedIOException when the file cannot be written
     */
    public static void writePrivateKeyPem(Path file, PrivateKey key) {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.US_ASCII);
             JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(new JcaPKCS8Generator(key, null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes a PKCS#12 key store (RFC 7292, JDK default protection) holding {@code leaf}'s private key
     * under alias {@code "signer"} with the certificate chain leaf, {@code chain...}.
     *
     * @throws UncheckedIOException when the file cannot be written
     */
    public static void writePkcs12(Path file, char[] password, Issued leaf, X509Certificate... chain) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            Certificate[] certs = new Certificate[chain.length + 1];
            certs[0] = leaf.certificate();
            System.arraycopy(chain, 0, certs, 1, chain.length);
            ks.setKeyEntry("signer", leaf.keyPair().getPrivate(), password, certs);
            try (OutputStream out = Files.newOutputStream(file)) {
                ks.store(out, password);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot write PKCS#12 " + file + ": " + e.getMessage(), e);
        }
    }
}
