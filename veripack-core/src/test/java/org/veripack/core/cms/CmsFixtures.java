package org.veripack.core.cms;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSAttributeTableGenerator;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ParametersWithRandom;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.StandardDSAEncoding;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.veripack.core.FindingCode;
import org.veripack.core.TrustPolicy;
import org.veripack.core.internal.cms.CmsSignatureVerifier;
import org.veripack.core.internal.cms.SignatureCheckResult;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CmsSigner;

/** Shared helpers for CMS attack tests: signing with BC generators, attribute tampering, verification. */
final class CmsFixtures {
    static final Instant NOW = TestPki.DEFAULT_NOW;
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final byte[] CONTENT = "vendor: acme\nartifact: mmed\n".repeat(50).getBytes(java.nio.charset.StandardCharsets.UTF_8);

    private CmsFixtures() { }

    static SignatureCheckResult verify(byte[] cms, TrustPolicy policy) throws IOException {
        return verify(cms, CONTENT, List.of(), policy, NOW);
    }

    static SignatureCheckResult verify(byte[] cms, byte[] content, List<X509Certificate> packageCerts,
                                       TrustPolicy policy, Instant at) throws IOException {
        return CmsSignatureVerifier.verify(cms, () -> new ByteArrayInputStream(content), packageCerts, policy, at);
    }

    static Set<FindingCode> codes(SignatureCheckResult r) {
        Set<FindingCode> s = EnumSet.noneOf(FindingCode.class);
        r.findings().forEach(f -> s.add(f.code()));
        return s;
    }

    static TrustPolicy trusting(Issued... anchors) {
        List<X509Certificate> certs = new ArrayList<>();
        for (Issued a : anchors) {
            certs.add(a.certificate());
        }
        return TrustPolicy.withAnchors(certs);
    }

    static byte[] sign(Issued leaf, X509Certificate... chain) throws IOException {
        return CmsSigner.builder(leaf.identity(chain)).clock(CLOCK).build().signDetached(new ByteArrayInputStream(CONTENT));
    }

    static byte[] sha(String alg, byte[] data) {
        try {
            return MessageDigest.getInstance(alg).digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Signed attributes exactly as given (BC adds nothing): for missing/mismatching attribute attacks. */
    static CMSAttributeTableGenerator exactly(Attribute... attrs) {
        return params -> {
            ASN1EncodableVector v = new ASN1EncodableVector();
            for (Attribute a : attrs) {
                v.add(a);
            }
            return new AttributeTable(v);
        };
    }

    static Attribute contentType(ASN1ObjectIdentifier oid) {
        return new Attribute(CMSAttributes.contentType, new DERSet(oid));
    }

    static Attribute messageDigest(byte[] digest) {
        return new Attribute(CMSAttributes.messageDigest, new DERSet(new DEROctetString(digest)));
    }

    static Attribute signingTime() {
        return new Attribute(CMSAttributes.signingTime, new DERSet(new Time(Date.from(NOW))));
    }

    /**
     * Detached SignedData built with BC generators (not CmsSigner): any JCA algorithm (also weak ones),
     * any signed-attribute generator (null = BC defaults), signing {@code signedOver}.
     */
    static byte[] bcSign(byte[] signedOver, Issued signer, String jcaAlg, CMSAttributeTableGenerator attrs,
                         X509Certificate... extraCerts) throws Exception {
        ContentSigner cs = new JcaContentSignerBuilder(jcaAlg).build(signer.keyPair().getPrivate());
        return bcSign(signedOver, cs, signer.certificate(), attrs, extraCerts);
    }

    static byte[] bcSign(byte[] signedOver, ContentSigner cs, X509Certificate cert, CMSAttributeTableGenerator attrs,
                         X509Certificate... extraCerts) throws Exception {
        JcaSignerInfoGeneratorBuilder b = new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build());
        if (attrs != null) {
            b.setSignedAttributeGenerator(attrs);
        }
        CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
        gen.addSignerInfoGenerator(b.build(cs, cert));
        List<X509Certificate> certs = new ArrayList<>();
        certs.add(cert);
        certs.addAll(List.of(extraCerts));
        gen.addCertificates(new JcaCertStore(certs));
        return gen.generate(new CMSProcessableByteArray(signedOver), false).getEncoded("DER");
    }

    /**
     * ECDSA-with-SHA256 signer over an explicit curve whose generator is G' = Q (the victim's public
     * point), so the private scalar is 1 (CurveBall, CVE-2020-0601).
     */
    static final class ExplicitCurveSigner implements ContentSigner {
        private final ECDomainParameters domain;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

        ExplicitCurveSigner(ECDomainParameters domain) {
            this.domain = domain;
        }

        @Override public AlgorithmIdentifier getAlgorithmIdentifier() {
            return new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256);
        }

        @Override public OutputStream getOutputStream() {
            return buffer;
        }

        @Override public byte[] getSignature() {
            byte[] hash = sha("SHA-256", buffer.toByteArray());
            buffer.reset();
            ECDSASigner s = new ECDSASigner();
            s.init(true, new ParametersWithRandom(new ECPrivateKeyParameters(BigInteger.ONE, domain), new SecureRandom()));
            BigInteger[] rs = s.generateSignature(hash);
            try {
                return StandardDSAEncoding.INSTANCE.encode(domain.getN(), rs[0], rs[1]);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
