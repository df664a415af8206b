package org.veripack.core.internal.cms;

import java.io.IOException;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Arrays;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.oiw.OIWObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSASSAPSSparams;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.Signer;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;
import org.bouncycastle.crypto.engines.RSABlindedEngine;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.crypto.signers.DSADigestSigner;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.crypto.signers.PSSSigner;
import org.bouncycastle.crypto.signers.RSADigestSigner;
import org.bouncycastle.crypto.signers.StandardDSAEncoding;
import org.bouncycastle.crypto.util.PublicKeyFactory;

/**
 * The one place where Veripack checks a signature value: CMS SignerInfos ({@link CmsSignatureVerifier})
 * and the Wycheproof vector test both go through it, so the vectors exercise the production code.
 *
 * <p>Algorithm policy (fixed; the trust policy adds digest and RSA-size limits on top):
 * <ul>
 *   <li>RSASSA-PKCS1-v1_5 with SHA-256/384/512 (RFC 8017 §8.2, OIDs of RFC 4055 §5);</li>
 *   <li>RSASSA-PSS with SHA-256/384/512, MGF1 with a SHA-2 hash, trailer field 1 (RFC 4055 §3.1);</li>
 *   <li>ECDSA with SHA-256/384/512 (RFC 5758 §3.2) on the named curves P-256, P-384, P-521 only: keys with
 *       explicit curve parameters are rejected (CurveBall, CVE-2020-0601); signatures must be strict DER
 *       {@code Ecdsa-Sig-Value} (RFC 3279 §2.2.3) with positive r and s;</li>
 *   <li>Ed25519 (RFC 8410, RFC 8032 §5.1.7);</li>
 *   <li>everything else (MD5, SHA-1, SHA-224, DSA, unknown OIDs, unexpected parameters) →
 *       {@link AlgorithmRejectedException}.</li>
 * </ul>
 * {@link #verify} never throws: a {@code RuntimeException} from the signature engine is a failed
 * verification (as Tink's {@code EcdsaVerifyJce} does).
 *
 * <p>Keys are decoded ({@code PublicKeyFactory}, which checks that an EC point lies on its curve) and
 * signatures checked with Bouncy Castle's lightweight API ({@code RSADigestSigner}, {@code PSSSigner},
 * {@code DSADigestSigner} over {@code ECDSASigner}, {@code Ed25519Signer}: the engines behind BC's JCA
 * provider, without the provider's start-up cost of registering several hundred algorithms). Not the
 * JDK's providers: on JDK 17.0.15 SunEC rejects valid ECDSA signatures whose k*G has a large
 * x-coordinate (Wycheproof ecdsa_secp256r1_sha256 tcId 350, 479) and SunEC's Ed25519 accepts a
 * signature with an appended zero byte (Wycheproof ed25519 tcId 37); BC agrees with every vector
 * ({@code WycheproofSignatureTest}). The signed data is always small (CMS signed attributes), so BC's
 * Java SHA-2 digests are used for it.
 */
public final class SignatureValueVerifier {
    private SignatureValueVerifier() { }

    /** Key families a signature algorithm needs. */
    public enum KeyKind { RSA, EC, ED25519 }

    /**
     * A resolved, allowed signature algorithm.
     *
     * @param jcaName JCA signature name ({@code SHA256withRSA}, {@code RSASSA-PSS}, {@code SHA256withECDSA}, {@code Ed25519})
     * @param params  the RSASSA-PSS parameters ({@link PSSParameterSpec}), or null
     * @param hash    JCA name of the message hash ({@code SHA-256}...), or null for Ed25519 (PureEdDSA)
     * @param keyKind the key family it needs
     */
    public record SignatureAlgorithm(String jcaName, AlgorithmParameterSpec params, String hash, KeyKind keyKind) { }

    private static final Map<ASN1ObjectIdentifier, String> SHA2 = Map.of(
            NISTObjectIdentifiers.id_sha256, "SHA-256",
            NISTObjectIdentifiers.id_sha384, "SHA-384",
            NISTObjectIdentifiers.id_sha512, "SHA-512");

    private static final Map<ASN1ObjectIdentifier, String> WEAK_DIGESTS = Map.of(
            PKCSObjectIdentifiers.md5, "MD5",
            OIWObjectIdentifiers.idSHA1, "SHA-1",
            NISTObjectIdentifiers.id_sha224, "SHA-224");

    private static final Map<ASN1ObjectIdentifier, String> RSA_PKCS1 = Map.of(
            PKCSObjectIdentifiers.sha256WithRSAEncryption, "SHA-256",
            PKCSObjectIdentifiers.sha384WithRSAEncryption, "SHA-384",
            PKCSObjectIdentifiers.sha512WithRSAEncryption, "SHA-512");

    private static final Map<ASN1ObjectIdentifier, String> ECDSA = Map.of(
            X9ObjectIdentifiers.ecdsa_with_SHA256, "SHA-256",
            X9ObjectIdentifiers.ecdsa_with_SHA384, "SHA-384",
            X9ObjectIdentifiers.ecdsa_with_SHA512, "SHA-512");

    private static final Map<ASN1ObjectIdentifier, String> WEAK_SIGNATURES = Map.of(
            PKCSObjectIdentifiers.md5WithRSAEncryption, "MD5withRSA",
            PKCSObjectIdentifiers.sha1WithRSAEncryption, "SHA1withRSA",
            PKCSObjectIdentifiers.sha224WithRSAEncryption, "SHA224withRSA",
            X9ObjectIdentifiers.ecdsa_with_SHA1, "SHA1withECDSA",
            X9ObjectIdentifiers.ecdsa_with_SHA224, "SHA224withECDSA",
            X9ObjectIdentifiers.id_dsa_with_sha1, "SHA1withDSA");

    private static final Map<ASN1ObjectIdentifier, String> CURVES = Map.of(
            SECObjectIdentifiers.secp256r1, "P-256",
            SECObjectIdentifiers.secp384r1, "P-384",
            SECObjectIdentifiers.secp521r1, "P-521");

    /**
     * JCA name of a digest algorithm identifier (RFC 5754 §2), whether allowed or not.
     *
     * @return {@code SHA-256}, {@code SHA-384}, {@code SHA-512}, or for weak ones {@code MD5}/{@code SHA-1}/{@code SHA-224}
     * @throws AlgorithmRejectedException unknown OID or parameters other than absent/NULL
     */
    public static String digestName(AlgorithmIdentifier digestAlgorithm) throws AlgorithmRejectedException {
        ASN1ObjectIdentifier oid = digestAlgorithm.getAlgorithm();
        String name = SHA2.containsKey(oid) ? SHA2.get(oid) : WEAK_DIGESTS.get(oid);
        if (name == null) {
            throw new AlgorithmRejectedException("unknown digest algorithm " + oid.getId());
        }
        requireAbsentOrNull(digestAlgorithm, name);
        return name;
    }

    /** True for the digests this class allows at all (SHA-256/384/512). */
    public static boolean isStrongDigest(String jcaName) {
        return SHA2.containsValue(jcaName);
    }

    /**
     * Resolves an X.509/CMS signature algorithm identifier.
     *
     * @throws AlgorithmRejectedException weak, unknown, or malformed parameters
     */
    public static SignatureAlgorithm signatureAlgorithm(AlgorithmIdentifier sigAlg) throws AlgorithmRejectedException {
        ASN1ObjectIdentifier oid = sigAlg.getAlgorithm();
        if (RSA_PKCS1.containsKey(oid)) {
            String hash = RSA_PKCS1.get(oid);
            requireAbsentOrNull(sigAlg, oid.getId());
            return new SignatureAlgorithm(hash.replace("-", "") + "withRSA", null, hash, KeyKind.RSA);
        }
        if (ECDSA.containsKey(oid)) {
            String hash = ECDSA.get(oid);
            if (sigAlg.getParameters() != null) {
                throw new AlgorithmRejectedException("ECDSA algorithm identifier with parameters (RFC 5758 §3.2)");
            }
            return new SignatureAlgorithm(hash.replace("-", "") + "withECDSA", null, hash, KeyKind.EC);
        }
        if (EdECObjectIdentifiers.id_Ed25519.equals(oid)) {
            if (sigAlg.getParameters() != null) {
                throw new AlgorithmRejectedException("Ed25519 algorithm identifier with parameters (RFC 8410 §3)");
            }
            return new SignatureAlgorithm("Ed25519", null, null, KeyKind.ED25519);
        }
        if (PKCSObjectIdentifiers.id_RSASSA_PSS.equals(oid)) {
            return pss(sigAlg);
        }
        if (WEAK_SIGNATURES.containsKey(oid)) {
            throw new AlgorithmRejectedException("weak signature algorithm " + WEAK_SIGNATURES.get(oid));
        }
        throw new AlgorithmRejectedException("unknown or unsupported signature algorithm " + oid.getId());
    }

    /**
     * Resolves the signature algorithm of a CMS SignerInfo (RFC 5652 §5.3): besides the full signature
     * OIDs, {@code rsaEncryption} (as OpenSSL writes; RFC 5754 §3.2) and {@code id-ecPublicKey} mean
     * PKCS#1 v1.5 / ECDSA with the SignerInfo's digest algorithm.
     */
    public static SignatureAlgorithm cmsSignatureAlgorithm(AlgorithmIdentifier sigAlg, AlgorithmIdentifier digestAlg)
            throws AlgorithmRejectedException {
        ASN1ObjectIdentifier oid = sigAlg.getAlgorithm();
        if (PKCSObjectIdentifiers.rsaEncryption.equals(oid) || X9ObjectIdentifiers.id_ecPublicKey.equals(oid)) {
            boolean rsa = PKCSObjectIdentifiers.rsaEncryption.equals(oid);
            if (rsa) {
                requireAbsentOrNull(sigAlg, "rsaEncryption");
            } else if (sigAlg.getParameters() != null) {
                throw new AlgorithmRejectedException("id-ecPublicKey signature algorithm with parameters");
            }
            String hash = digestName(digestAlg);
            if (!isStrongDigest(hash)) {
                throw new AlgorithmRejectedException("weak digest algorithm " + hash);
            }
            String base = hash.replace("-", "");
            return rsa ? new SignatureAlgorithm(base + "withRSA", null, hash, KeyKind.RSA)
                    : new SignatureAlgorithm(base + "withECDSA", null, hash, KeyKind.EC);
        }
        return signatureAlgorithm(sigAlg);
    }

    private static SignatureAlgorithm pss(AlgorithmIdentifier sigAlg) throws AlgorithmRejectedException {
        RSASSAPSSparams p;
        try {
            p = RSASSAPSSparams.getInstance(sigAlg.getParameters());
        } catch (RuntimeException e) {
            throw new AlgorithmRejectedException("malformed RSASSA-PSS parameters");
        }
        if (p == null) {
            throw new AlgorithmRejectedException("RSASSA-PSS without parameters means SHA-1 (RFC 4055 §3.1)");
        }
        String hash = digestName(p.getHashAlgorithm());
        if (!isStrongDigest(hash)) {
            throw new AlgorithmRejectedException("RSASSA-PSS with weak hash " + hash);
        }
        AlgorithmIdentifier mgf = p.getMaskGenAlgorithm();
        if (!PKCSObjectIdentifiers.id_mgf1.equals(mgf.getAlgorithm())) {
            throw new AlgorithmRejectedException("RSASSA-PSS mask generation other than MGF1");
        }
        String mgfHash;
        try {
            mgfHash = digestName(AlgorithmIdentifier.getInstance(mgf.getParameters()));
        } catch (RuntimeException e) {
            throw new AlgorithmRejectedException("malformed MGF1 parameters");
        }
        if (!isStrongDigest(mgfHash)) {
            throw new AlgorithmRejectedException("RSASSA-PSS MGF1 with weak hash " + mgfHash);
        }
        if (p.getTrailerField().intValueExact() != 1) {
            throw new AlgorithmRejectedException("RSASSA-PSS trailer field other than 1");
        }
        BigInteger salt = p.getSaltLength();
        if (salt.signum() < 0 || salt.bitLength() > 16) {
            throw new AlgorithmRejectedException("RSASSA-PSS salt length out of range");
        }
        return new SignatureAlgorithm("RSASSA-PSS",
                new PSSParameterSpec(hash, "MGF1", new MGF1ParameterSpec(mgfHash), salt.intValue(), 1),
                hash, KeyKind.RSA);
    }

    /**
     * Decodes and checks a subject public key (RFC 5280 §4.1.2.7): RSA ({@code rsaEncryption} or
     * {@code id-RSASSA-PSS}) of at least {@code minRsaKeyBits}, EC on a named P-256/P-384/P-521 curve
     * (RFC 5480 §2.1.1: namedCurve only; explicit parameters are rejected; the point must lie on the
     * curve), or Ed25519.
     *
     * @return the key as Bouncy Castle key parameters ({@link RSAKeyParameters},
     *         {@link ECPublicKeyParameters} or {@link Ed25519PublicKeyParameters}), for {@link #verify}
     * @throws AlgorithmRejectedException any other key, or a key that cannot be decoded
     */
    public static AsymmetricKeyParameter publicKey(SubjectPublicKeyInfo spki, int minRsaKeyBits) throws AlgorithmRejectedException {
        AlgorithmIdentifier alg = spki.getAlgorithm();
        ASN1ObjectIdentifier oid = alg.getAlgorithm();
        KeyKind kind;
        if (PKCSObjectIdentifiers.rsaEncryption.equals(oid) || PKCSObjectIdentifiers.id_RSASSA_PSS.equals(oid)) {
            kind = KeyKind.RSA;
        } else if (X9ObjectIdentifiers.id_ecPublicKey.equals(oid)) {
            ASN1Encodable params = alg.getParameters();
            if (!(params instanceof ASN1ObjectIdentifier)) {
                throw new AlgorithmRejectedException("EC key with explicit or implicit curve parameters "
                        + "(only named curves P-256/P-384/P-521; RFC 5480 §2.1.1, CVE-2020-0601)");
            }
            if (!CURVES.containsKey(params)) {
                throw new AlgorithmRejectedException("EC key on unsupported curve " + ((ASN1ObjectIdentifier) params).getId());
            }
            kind = KeyKind.EC;
        } else if (EdECObjectIdentifiers.id_Ed25519.equals(oid)) {
            if (alg.getParameters() != null) {
                throw new AlgorithmRejectedException("Ed25519 key with parameters (RFC 8410 §3)");
            }
            kind = KeyKind.ED25519;
        } else {
            throw new AlgorithmRejectedException("unsupported public key algorithm " + oid.getId());
        }
        AsymmetricKeyParameter key;
        try {
            key = PublicKeyFactory.createKey(spki);
        } catch (IOException | RuntimeException e) {
            throw new AlgorithmRejectedException("undecodable " + kind + " public key");
        }
        if (!keyFits(kind, key)) {
            throw new AlgorithmRejectedException("undecodable " + kind + " public key");
        }
        if (key instanceof RSAKeyParameters) {
            int bits = ((RSAKeyParameters) key).getModulus().bitLength();
            if (bits < minRsaKeyBits) {
                throw new AlgorithmRejectedException("RSA key of " + bits + " bits is below the minimum of " + minRsaKeyBits);
            }
        }
        return key;
    }


    /**
     * Checks {@code signature} over {@code data} with {@code key} (from {@link #publicKey}).
     *
     * @return true only when the signature is valid; false for a wrong key family, a non-DER or
     *         out-of-range ECDSA signature, or any exception of the signature engine
     */
    public static boolean verify(SignatureAlgorithm alg, AsymmetricKeyParameter key, byte[] data, byte[] signature) {
        try {
            if (key == null || !keyFits(alg.keyKind(), key)) {
                return false;
            }
            if (alg.keyKind() == KeyKind.EC && !isStrictDerEcdsaSignature(signature)) {
                return false;
            }
            Signer s = signer(alg);
            s.init(false, key);
            s.update(data, 0, data.length);
            return s.verifySignature(signature);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static Signer signer(SignatureAlgorithm alg) {
        switch (alg.keyKind()) {
            case ED25519:
                return new Ed25519Signer();
            case EC:
                return new DSADigestSigner(new ECDSASigner(), digest(alg.hash()), StandardDSAEncoding.INSTANCE);
            case RSA:
                if (alg.params() instanceof PSSParameterSpec) {
                    PSSParameterSpec p = (PSSParameterSpec) alg.params();
                    String mgfHash = ((MGF1ParameterSpec) p.getMGFParameters()).getDigestAlgorithm();
                    return new PSSSigner(new RSABlindedEngine(), digest(p.getDigestAlgorithm()), digest(mgfHash),
                            p.getSaltLength(), PSSSigner.TRAILER_IMPLICIT);
                }
                return new RSADigestSigner(digest(alg.hash()));
            default:
                throw new IllegalArgumentException("no signer for " + alg);
        }
    }

    private static Digest digest(String jcaName) {
        switch (jcaName) {
            case "SHA-256": return new SHA256Digest();
            case "SHA-384": return new SHA384Digest();
            case "SHA-512": return new SHA512Digest();
            default: throw new IllegalArgumentException("digest not allowed: " + jcaName);
        }
    }

    private static boolean keyFits(KeyKind kind, AsymmetricKeyParameter key) {
        if (key.isPrivate()) {
            return false;
        }
        switch (kind) {
            case RSA: return key instanceof RSAKeyParameters;
            case EC: return key instanceof ECPublicKeyParameters;
            case ED25519: return key instanceof Ed25519PublicKeyParameters;
            default: return false;
        }
    }

    /**
     * Strict DER {@code Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }} (RFC 3279 §2.2.3) with
     * r, s &gt; 0: the bytes must be exactly the DER re-encoding of what BC parses, so BER forms (long
     * lengths, indefinite lengths, leading zeros, trailing bytes) are refused.
     */
    static boolean isStrictDerEcdsaSignature(byte[] signature) {
        try {
            ASN1Primitive p = ASN1Primitive.fromByteArray(signature);
            if (!(p instanceof ASN1Sequence) || ((ASN1Sequence) p).size() != 2) {
                return false;
            }
            ASN1Sequence seq = (ASN1Sequence) p;
            for (ASN1Encodable e : seq) {
                if (!(e instanceof ASN1Integer) || ((ASN1Integer) e).getValue().signum() <= 0) {
                    return false;
                }
            }
            return Arrays.equals(signature, p.getEncoded(ASN1Encoding.DER));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Constant-time comparison of two digests. */
    public static boolean digestsEqual(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }

    private static void requireAbsentOrNull(AlgorithmIdentifier alg, String name) throws AlgorithmRejectedException {
        ASN1Encodable params = alg.getParameters();
        if (params != null && !DERNull.INSTANCE.equals(params)) {
            throw new AlgorithmRejectedException("unexpected parameters for " + name);
        }
    }
}
