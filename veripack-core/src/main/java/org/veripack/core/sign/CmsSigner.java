package org.veripack.core.sign;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.SignerInformationStore;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.CMSTypedData;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.SignerInfoGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.veripack.core.ProgressListener;
import org.veripack.core.internal.cms.BcProvider;
import org.veripack.core.internal.io.Streams;

/**
 * Produces detached CMS SignedData (RFC 5652 §5) over a content stream, byte-compatible with
 * {@code openssl cms -verify -binary -inform DER -content FILE}.
 *
 * <p>Shape of the output: ContentInfo(id-signedData) DER; encapContentInfo eContentType id-data without
 * eContent (detached); one SignerInfo identified by issuerAndSerialNumber; signed attributes
 * contentType (id-data), messageDigest, signingTime (from the injected {@link Clock}) and
 * CMSAlgorithmProtection (RFC 6211); certificates = signer certificate followed by the identity's chain.
 * The content is streamed once through the digest (never held in memory).
 *
 * <p>Algorithms (digest = hash of the signature algorithm):
 * <ul>
 *   <li>EC P-256: ECDSA with SHA-256 by default; P-384: ECDSA with SHA-384 by default (RFC 5753);</li>
 *   <li>RSA (≥ 2048 bits): RSASSA-PKCS1-v1_5 with SHA-256 by default, RSASSA-PSS with
 *       {@link Builder#rsaPss(boolean)} (MGF1 with the same hash, salt = hash length; RFC 4056);</li>
 *   <li>Ed25519: PureEdDSA with SHA-512 as message digest, as RFC 8419 §3.1 requires (the digest option
 *       is ignored).</li>
 * </ul>
 * {@link Builder#digestAlgorithm(String)} selects SHA-256, SHA-384 or SHA-512 for ECDSA and RSA.
 *
 * <pre>{@code
 * CmsSigner signer = CmsSigner.builder(identity).clock(clock).build();
 * byte[] p7s = signer.signDetached(Path.of("mme.tar"));
 * }</pre>
 */
public final class CmsSigner {
    private static final int BUFFER_BYTES = 1 << 16;

    private final SigningIdentity identity;
    private final PrivateKey bcKey;
    private final String jcaSignatureAlgorithm;
    private final Clock clock;
    private final TimestampAuthority tsa;

    private CmsSigner(Builder b) {
        this.identity = b.identity;
        this.clock = b.clock;
        this.tsa = b.tsa;
        this.jcaSignatureAlgorithm = signatureAlgorithm(identity.certificate().getPublicKey(), b.digest, b.rsaPss);
        this.bcKey = toBcKey(identity.privateKey());
    }

    /** The identity this signer signs with (its certificate and chain). */
    SigningIdentity identity() { return identity; }

    /** The clock giving the signing time. */
    Clock clock() { return clock; }

    /** Starts a signer for {@code identity}; defaults: SHA-256 (SHA-384 for P-384), PKCS#1 v1.5 for RSA, system UTC clock. */
    public static Builder builder(SigningIdentity identity) {
        return new Builder(identity);
    }

    /** The JCA name of the signature algorithm this signer uses, e.g. {@code SHA256withECDSA}. */
    public String signatureAlgorithm() {
        return jcaSignatureAlgorithm;
    }

    /**
     * Signs the content read from {@code content} (read to its end, not closed).
     *
     * @return the detached SignedData, DER
     * @throws IOException when reading the content fails
     * @throws IllegalStateException when the key cannot sign (e.g. the provider refuses it)
     */
    public byte[] signDetached(InputStream content) throws IOException {
        Objects.requireNonNull(content, "content");
        try {
            CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
            gen.addSignerInfoGenerator(signerInfoGenerator());
            List<X509Certificate> certs = new ArrayList<>();
            certs.add(identity.certificate());
            for (X509Certificate c : identity.chain()) {
                if (!c.equals(identity.certificate())) {
                    certs.add(c);
                }
            }
            gen.addCertificates(new JcaCertStore(certs));
            return generate(gen, content, "create CMS signature");
        } catch (CMSException | OperatorCreationException | CertificateEncodingException e) {
            throw new IllegalStateException("cannot create CMS signature with " + jcaSignatureAlgorithm
                    + ": " + e.getMessage(), e);
        }
    }

    /**
     * Generates the detached SignedData over {@code content} and adds the configured time-stamp: the one
     * generation step of {@link #signDetached} and {@link #addSignerTo}.
     *
     * @param what the operation, for the {@code IllegalStateException} message ("create CMS signature")
     * @throws IOException the content's own read failure, unwrapped from Bouncy Castle's exceptions
     */
    private byte[] generate(CMSSignedDataGenerator gen, InputStream content, String what) throws IOException {
        try {
            CMSSignedData signed = gen.generate(new StreamedContent(content), false);
            return timestamped(signed).getEncoded("DER");
        } catch (StreamedContent.ReadFailure e) {
            throw e.getCause();
        } catch (CMSException e) {
            if (e.getCause() instanceof StreamedContent.ReadFailure) {
                throw ((StreamedContent.ReadFailure) e.getCause()).getCause();
            }
            throw new IllegalStateException("cannot " + what + " with " + jcaSignatureAlgorithm + ": " + e.getMessage(), e);
        }
    }

    /**
     * Adds this signer's SignerInfo to an existing detached SignedData over the same content (a second,
     * e.g. operator, signature beside the vendor's; RFC 5652 §5.1 allows several SignerInfos). Existing
     * SignerInfos and certificates are kept unchanged; this signer's certificate and chain are added when
     * not yet present; a time-stamp (when configured) is added to the new SignerInfo only.
     *
     * @param existingCms the SignedData, DER
     * @param content     the detached content it signs (read to its end, not closed)
     * @return the new SignedData, DER
     * @throws IllegalArgumentException when {@code existingCms} is not a detached SignedData
     * @throws IOException when reading the content or reaching the TSA fails
     */
    public byte[] addSignerTo(byte[] existingCms, InputStream content) throws IOException {
        CMSSignedData old;
        try {
            old = new CMSSignedData(existingCms);
        } catch (CMSException | RuntimeException e) {
            throw new IllegalArgumentException("not a CMS SignedData: " + e.getMessage(), e);
        }
        if (old.getSignedContent() != null) {
            throw new IllegalArgumentException("the CMS SignedData encapsulates its content; a detached one is expected");
        }
        try {
            CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
            gen.addSigners(old.getSignerInfos());
            gen.addSignerInfoGenerator(signerInfoGenerator());
            List<org.bouncycastle.cert.X509CertificateHolder> certs = new ArrayList<>(old.getCertificates().getMatches(null));
            List<X509Certificate> mine = new ArrayList<>();
            mine.add(identity.certificate());
            mine.addAll(identity.chain());
            for (X509Certificate c : mine) {
                org.bouncycastle.cert.X509CertificateHolder h = new org.bouncycastle.cert.X509CertificateHolder(c.getEncoded());
                if (!certs.contains(h)) {
                    certs.add(h);
                }
            }
            gen.addCertificates(new org.bouncycastle.util.CollectionStore<>(certs));
            return generate(gen, content, "add a CMS SignerInfo");
        } catch (CMSException | OperatorCreationException | CertificateEncodingException e) {
            throw new IllegalStateException("cannot add a CMS SignerInfo with " + jcaSignatureAlgorithm + ": " + e.getMessage(), e);
        }
    }

    /**
     * RFC 3161 Appendix A: this signer's SignerInfo(s) get an unsigned attribute id-aa-signatureTimeStampToken
     * whose message imprint is the SHA-256 of the SignerInfo's signature value.
     */
    private CMSSignedData timestamped(CMSSignedData signed) throws IOException {
        if (tsa == null) {
            return signed;
        }
        List<SignerInformation> out = new ArrayList<>();
        org.bouncycastle.cert.X509CertificateHolder me;
        try {
            me = new org.bouncycastle.cert.X509CertificateHolder(identity.certificate().getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("signer certificate cannot be encoded", e);
        }
        for (SignerInformation si : signed.getSignerInfos().getSigners()) {
            if (!si.getSID().match(me) || (si.getUnsignedAttributes() != null && si.getUnsignedAttributes()
                    .get(PKCSObjectIdentifiers.id_aa_signatureTimeStampToken) != null)) {
                out.add(si);
                continue;
            }
            byte[] token = tsa.timestamp(si.getSignature());
            AttributeTable unsigned = si.getUnsignedAttributes() == null ? new AttributeTable(new ASN1EncodableVector())
                    : si.getUnsignedAttributes();
            unsigned = unsigned.add(PKCSObjectIdentifiers.id_aa_signatureTimeStampToken,
                    org.bouncycastle.asn1.ASN1Primitive.fromByteArray(token));
            out.add(SignerInformation.replaceUnsignedAttributes(si, unsigned));
        }
        return CMSSignedData.replaceSigners(signed, new SignerInformationStore(out));
    }

    /** Signs the bytes of {@code file}, streaming it. @see #signDetached(InputStream) */
    public byte[] signDetached(Path file) throws IOException {
        return signDetached(file, ProgressListener.NONE);
    }

    /**
     * As {@link #signDetached(Path)}, telling {@code progress} the step {@code "signing FILE"} (total: the file's
     * bytes, counted per block read).
     */
    public byte[] signDetached(Path file, ProgressListener progress) throws IOException {
        progress.begin("signing " + file.getFileName(), Files.size(file), ProgressListener.Unit.BYTES);
        try (InputStream in = Streams.counting(Files.newInputStream(file), progress)) {
            return signDetached(in);
        } finally {
            progress.end();
        }
    }

    /**
     * PEM form of a CMS structure as {@code openssl cms -outform PEM} writes it: a
     * {@code -----BEGIN CMS-----} line, base64 in 64-character lines, {@code -----END CMS-----}, each line
     * ended by LF (RFC 7468 §2).
     */
    public static String toPem(byte[] der) {
        String b64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN CMS-----\n" + b64 + "\n-----END CMS-----\n";
    }

    /** {@link #toPem(byte[])} as US-ASCII bytes. */
    public static byte[] toPemBytes(byte[] der) {
        return toPem(der).getBytes(StandardCharsets.US_ASCII);
    }

    private SignerInfoGenerator signerInfoGenerator() throws OperatorCreationException, CertificateEncodingException {
        JcaContentSignerBuilder csb = new JcaContentSignerBuilder(jcaSignatureAlgorithm);
        if (bcKey.getEncoded() != null) {
            csb.setProvider(BcProvider.INSTANCE); // else: the token's provider, found by JCA for its key
        }
        ContentSigner contentSigner = csb.build(bcKey);
        Attribute signingTime = new Attribute(CMSAttributes.signingTime,
                new DERSet(new Time(Date.from(clock.instant()))));
        AttributeTable base = new AttributeTable(signingTime);
        return new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder()
                .setProvider(BcProvider.INSTANCE).build())
                .setSignedAttributeGenerator(new DefaultSignedAttributeTableGenerator(base))
                .build(contentSigner, identity.certificate());
    }

    static String signatureAlgorithm(PublicKey key, String digest, boolean pss) {
        String hash = digest.replace("-", "").toUpperCase(Locale.ROOT);
        if (key instanceof ECPublicKey) {
            return hash + "withECDSA";
        }
        if (key instanceof RSAPublicKey) {
            return pss ? hash + "withRSAandMGF1" : hash + "withRSA";
        }
        if ("Ed25519".equalsIgnoreCase(key.getAlgorithm()) || "EdDSA".equalsIgnoreCase(key.getAlgorithm())) {
            return "Ed25519";
        }
        throw new IllegalArgumentException("unsupported signer key algorithm " + key.getAlgorithm()
                + " (EC P-256/P-384, RSA, Ed25519 are supported)");
    }

    /**
     * Re-reads the key in the BC provider so JDK and BC keys behave alike with BC signature engines. A key
     * that cannot be exported (PKCS#11 token key: no encoding) stays as it is and signs in its own provider.
     */
    private static PrivateKey toBcKey(PrivateKey key) {
        if (key.getEncoded() == null) {
            return key;
        }
        try {
            String alg = key.getAlgorithm();
            if ("EdDSA".equalsIgnoreCase(alg)) {
                alg = "Ed25519";
            }
            return KeyFactory.getInstance(alg, BcProvider.INSTANCE)
                    .generatePrivate(new PKCS8EncodedKeySpec(key.getEncoded()));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("unsupported private key (" + key.getAlgorithm() + "): " + e.getMessage(), e);
        }
    }

    /** Builder of {@link CmsSigner}. */
    public static final class Builder {
        private final SigningIdentity identity;
        private String digest;
        private boolean rsaPss;
        private Clock clock = Clock.systemUTC();
        private TimestampAuthority tsa;

        private Builder(SigningIdentity identity) {
            this.identity = Objects.requireNonNull(identity, "identity");
        }

        /** JCA digest name {@code SHA-256}, {@code SHA-384} or {@code SHA-512} (ignored for Ed25519). */
        public Builder digestAlgorithm(String jcaDigest) {
            String d = jcaDigest.toUpperCase(Locale.ROOT);
            if (!List.of("SHA-256", "SHA-384", "SHA-512").contains(d)) {
                throw new IllegalArgumentException("digest must be SHA-256, SHA-384 or SHA-512: " + jcaDigest);
            }
            this.digest = d;
            return this;
        }

        /** RSASSA-PSS instead of PKCS#1 v1.5 for RSA keys. */
        public Builder rsaPss(boolean v) { this.rsaPss = v; return this; }

        /** Adds an RFC 3161 time-stamp from {@code authority} to the SignerInfo (unsigned attribute). */
        public Builder timestampAuthority(TimestampAuthority authority) { this.tsa = authority; return this; }

        /** Source of the signingTime attribute. */
        public Builder clock(Clock c) { this.clock = Objects.requireNonNull(c, "clock"); return this; }

        /**
         * @throws IllegalArgumentException when the key type is unsupported, RSA is shorter than 2048 bits,
         *         or the private key cannot be used with the BC provider
         */
        public CmsSigner build() {
            PublicKey pub = identity.certificate().getPublicKey();
            if (pub instanceof RSAPublicKey && ((RSAPublicKey) pub).getModulus().bitLength() < 2048) {
                throw new IllegalArgumentException("RSA signer key shorter than 2048 bits");
            }
            if (digest == null) {
                digest = pub instanceof ECPublicKey
                        && ((ECPublicKey) pub).getParams().getCurve().getField().getFieldSize() > 256
                        ? (((ECPublicKey) pub).getParams().getCurve().getField().getFieldSize() > 384 ? "SHA-512" : "SHA-384")
                        : "SHA-256";
            }
            return new CmsSigner(this);
        }
    }

    /** Content handed to BC that streams from the caller's InputStream instead of a byte array. */
    private static final class StreamedContent implements CMSTypedData {
        private final InputStream in;

        StreamedContent(InputStream in) { this.in = in; }

        @Override public ASN1ObjectIdentifier getContentType() { return CMSObjectIdentifiers.data; }

        @Override public Object getContent() { return in; }

        @Override public void write(OutputStream out) {
            byte[] buf = new byte[BUFFER_BYTES];
            try {
                int n;
                while ((n = in.read(buf)) != -1) {
                    out.write(buf, 0, n);
                }
            } catch (IOException e) {
                throw new ReadFailure(e);
            }
        }

        /** Carries an IOException of the content stream through BC's generator. */
        static final class ReadFailure extends RuntimeException {
            private static final long serialVersionUID = 1L;

            ReadFailure(IOException cause) { super(cause); }

            @Override public synchronized IOException getCause() { return (IOException) super.getCause(); }
        }
    }
}
