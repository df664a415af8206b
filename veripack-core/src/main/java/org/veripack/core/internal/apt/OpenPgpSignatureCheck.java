package org.veripack.core.internal.apt;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.sig.IssuerFingerprint;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPMarker;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPSignatureSubpacketVector;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;
import org.veripack.core.FindingCode;

/**
 * Verifies OpenPGP document signatures (RFC 9580 §5.2) against an {@link OpenPgpKeyring} at one
 * instant, with the trust policy's digest and key-size rules. Each signature gets one {@link Outcome};
 * the caller decides how several combine.
 *
 * <p>Checks per signature, in order (the first failing check decides its outcome):
 * <ol>
 *   <li>a document signature, type 0x00 (binary) or 0x01 (canonical text), version 4 or 6
 *       — else {@code SIGNATURE_INVALID};</li>
 *   <li>its hash algorithm is allowed (SHA-256/384/512 by default; SHA-1, MD5, RIPEMD-160 never)
 *       — else {@code ALGORITHM_REJECTED};</li>
 *   <li>its issuer (key ID, and issuer fingerprint when present) is a key of the keyring
 *       — else {@code SIGNER_UNTRUSTED};</li>
 *   <li>it verifies over the data — else {@code SIGNATURE_INVALID};</li>
 *   <li>the issuing key is valid now (RFC 9580 §5.2.3, §10.1): RSA/DSA at least {@code minRsaKeyBits};
 *       the primary key has a verifying self-signature and no verifying revocation; a subkey has a
 *       verifying subkey binding signature by that primary key carrying a verifying primary key binding
 *       (back-)signature, and no verifying subkey revocation (a subkey grafted onto a certificate has no
 *       such binding: {@code SIGNER_UNTRUSTED}); key flags, when present, allow signing data
 *       ({@code KEY_USAGE_INVALID}); neither the primary key nor the subkey has expired
 *       ({@code CERT_EXPIRED}); revoked: {@code CERT_REVOKED}; self-signatures with a rejected hash
 *       do not count;</li>
 *   <li>the signature was created no later than now and not before its key ({@code CERT_NOT_YET_VALID},
 *       {@code SIGNATURE_INVALID}), and has not expired ({@code CERT_EXPIRED}).</li>
 * </ol>
 * A {@link RuntimeException} from Bouncy Castle is a failed check, never a crash.
 */
public final class OpenPgpSignatureCheck {
    private static final BcPGPContentVerifierBuilderProvider VERIFIERS = new BcPGPContentVerifierBuilderProvider();

    private final OpenPgpKeyring keyring;
    private final Instant now;
    private final Set<String> allowedDigests;
    private final int minRsaKeyBits;

    /**
     * @param allowedDigests JCA digest names allowed by the policy ({@code SHA-256}...)
     * @param minRsaKeyBits  minimum modulus size of RSA (and DSA) keys, in bits
     */
    public OpenPgpSignatureCheck(OpenPgpKeyring keyring, Instant now, Set<String> allowedDigests, int minRsaKeyBits) {
        this.keyring = keyring;
        this.now = now;
        this.allowedDigests = Set.copyOf(allowedDigests);
        this.minRsaKeyBits = minRsaKeyBits;
    }

    /**
     * The result for one signature.
     *
     * @param code               null when the signature is good, else the finding code
     * @param detail             why, for humans
     * @param issuer             the issuer as named by the signature (fingerprint or key ID, upper-case hex)
     * @param keyFingerprint     fingerprint of the key that made the signature (upper-case hex), when found
     * @param primaryFingerprint fingerprint of its certificate's primary key, when found
     * @param userId             the certificate's first user ID, when found
     */
    public record Outcome(FindingCode code, String detail, String issuer, String keyFingerprint,
                          String primaryFingerprint, String userId) {
        public boolean good() { return code == null; }
    }

    /**
     * Parses the signature packets of an armored or binary signature block.
     *
     * @throws MalformedException when it is not a non-empty sequence of signature packets (a CRC
     *                            error in the armor, or any other packet, is malformed)
     */
    public static List<PGPSignature> parseSignatures(byte[] block) throws MalformedException {
        List<PGPSignature> out = new ArrayList<>();
        try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(block))) {
            BcPGPObjectFactory factory = new BcPGPObjectFactory(in);
            Object o;
            while ((o = factory.nextObject()) != null) {
                if (o instanceof PGPSignatureList list) {
                    for (PGPSignature s : list) {
                        out.add(s);
                    }
                } else if (!(o instanceof PGPMarker)) {
                    throw new MalformedException("signature block holds a " + o.getClass().getSimpleName());
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new MalformedException("signature block cannot be parsed: " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new MalformedException("signature block holds no signature");
        }
        return out;
    }

    /** Checks {@code sig} over {@code data} (for a text signature: the canonical CRLF text). */
    public Outcome check(PGPSignature sig, byte[] data) {
        String issuer = issuerName(sig);
        try {
            return checkOrThrow(sig, data, issuer);
        } catch (PGPException | RuntimeException e) {
            return new Outcome(FindingCode.SIGNATURE_INVALID, "signature cannot be verified: " + e.getMessage(),
                    issuer, null, null, null);
        }
    }

    private Outcome checkOrThrow(PGPSignature sig, byte[] data, String issuer) throws PGPException {
        int type = sig.getSignatureType();
        if (type != PGPSignature.BINARY_DOCUMENT && type != PGPSignature.CANONICAL_TEXT_DOCUMENT) {
            return new Outcome(FindingCode.SIGNATURE_INVALID, "not a document signature (type 0x"
                    + Integer.toHexString(type) + ")", issuer, null, null, null);
        }
        if (sig.getVersion() != 4 && sig.getVersion() != 6) {
            return new Outcome(FindingCode.SIGNATURE_INVALID, "signature version " + sig.getVersion()
                    + " is not accepted (4 or 6)", issuer, null, null, null);
        }
        String digest = digestName(sig.getHashAlgorithm());
        if (!allowedDigests.contains(digest)) {
            return new Outcome(FindingCode.ALGORITHM_REJECTED, "signature digest " + digest
                    + " is not allowed by the trust policy", issuer, null, null, null);
        }
        List<OpenPgpKeyring.KeyInRing> candidates = keyring.find(sig.getKeyID(), issuerFingerprint(sig));
        if (candidates.isEmpty()) {
            return new Outcome(FindingCode.SIGNER_UNTRUSTED, "signing key " + issuer + " is not in the keyring",
                    issuer, null, null, null);
        }
        Outcome last = null;
        for (OpenPgpKeyring.KeyInRing c : candidates) {
            last = checkWithKey(sig, data, issuer, c.ring(), c.key());
            if (last.good()) {
                return last;
            }
        }
        return last;
    }

    private Outcome checkWithKey(PGPSignature sig, byte[] data, String issuer, PGPPublicKeyRing ring, PGPPublicKey key)
            throws PGPException {
        PGPPublicKey primary = ring.getPublicKey();
        String keyFpr = hex(key.getFingerprint());
        String primaryFpr = hex(primary.getFingerprint());
        String uid = firstUserId(primary);
        sig.init(VERIFIERS, key);
        sig.update(data);
        if (!sig.verify()) {
            return new Outcome(FindingCode.SIGNATURE_INVALID, "signature does not verify over the signed data",
                    issuer, keyFpr, primaryFpr, uid);
        }
        String keyProblem = keyStrengthProblem(key);
        if (keyProblem != null) {
            return new Outcome(FindingCode.ALGORITHM_REJECTED, keyProblem, issuer, keyFpr, primaryFpr, uid);
        }
        PGPSignature selfSig = latestValidSelfSignature(primary);
        if (selfSig == null) {
            return new Outcome(FindingCode.SIGNER_UNTRUSTED, "primary key " + primaryFpr
                    + " has no valid self-signature", issuer, keyFpr, primaryFpr, uid);
        }
        if (verifiesAny(primary.getSignaturesOfType(PGPSignature.KEY_REVOCATION), primary,
                s -> s.verifyCertification(primary))) {
            return new Outcome(FindingCode.CERT_REVOKED, "primary key " + primaryFpr + " is revoked",
                    issuer, keyFpr, primaryFpr, uid);
        }
        if (expired(primary, selfSig)) {
            return new Outcome(FindingCode.CERT_EXPIRED, "primary key " + primaryFpr + " expired",
                    issuer, keyFpr, primaryFpr, uid);
        }
        PGPSignature usage = selfSig;
        if (!key.isMasterKey()) {
            PGPSignature binding = latestValidBinding(primary, key);
            if (binding == null) {
                return new Outcome(FindingCode.SIGNER_UNTRUSTED, "subkey " + keyFpr + " has no valid binding signature "
                        + "by primary key " + primaryFpr + " with a primary key binding signature", issuer, keyFpr, primaryFpr, uid);
            }
            if (verifiesAny(key.getSignaturesOfType(PGPSignature.SUBKEY_REVOCATION), primary,
                    s -> s.verifyCertification(primary, key))) {
                return new Outcome(FindingCode.CERT_REVOKED, "subkey " + keyFpr + " is revoked",
                        issuer, keyFpr, primaryFpr, uid);
            }
            if (expired(key, binding)) {
                return new Outcome(FindingCode.CERT_EXPIRED, "subkey " + keyFpr + " expired",
                        issuer, keyFpr, primaryFpr, uid);
            }
            usage = binding;
        }
        PGPSignatureSubpacketVector hashed = usage.getHashedSubPackets();
        if (hashed != null && hashed.hasSubpacket(org.bouncycastle.bcpg.SignatureSubpacketTags.KEY_FLAGS)
                && (hashed.getKeyFlags() & KeyFlags.SIGN_DATA) == 0) {
            return new Outcome(FindingCode.KEY_USAGE_INVALID, "key " + keyFpr + " is not flagged for signing data",
                    issuer, keyFpr, primaryFpr, uid);
        }
        Instant created = sig.getCreationTime().toInstant();
        if (created.isAfter(now)) {
            return new Outcome(FindingCode.CERT_NOT_YET_VALID, "signature created after the verification time",
                    issuer, keyFpr, primaryFpr, uid);
        }
        if (created.isBefore(key.getCreationTime().toInstant())) {
            return new Outcome(FindingCode.SIGNATURE_INVALID, "signature predates its key", issuer, keyFpr, primaryFpr, uid);
        }
        long sigExpiry = sig.getHashedSubPackets() == null ? 0 : sig.getHashedSubPackets().getSignatureExpirationTime();
        if (sigExpiry > 0 && !created.plusSeconds(sigExpiry).isAfter(now)) {
            return new Outcome(FindingCode.CERT_EXPIRED, "signature expired", issuer, keyFpr, primaryFpr, uid);
        }
        return new Outcome(null, "good signature", issuer, keyFpr, primaryFpr, uid);
    }

    /** The newest self-certification (0x10-0x13 over a user ID, or 0x1F direct key) that verifies and is not in the future. */
    private PGPSignature latestValidSelfSignature(PGPPublicKey primary) {
        PGPSignature best = null;
        for (Iterator<byte[]> ids = primary.getRawUserIDs(); ids.hasNext(); ) {
            byte[] id = ids.next();
            for (Iterator<PGPSignature> it = primary.getSignaturesForID(id); it != null && it.hasNext(); ) {
                PGPSignature s = it.next();
                if (s.isCertification() && acceptableSelfSig(s, primary)
                        && verifies(s, primary, x -> x.verifyCertification(id, primary))) {
                    best = newer(best, s);
                }
            }
        }
        for (Iterator<PGPSignature> it = primary.getSignaturesOfType(PGPSignature.DIRECT_KEY); it.hasNext(); ) {
            PGPSignature s = it.next();
            if (acceptableSelfSig(s, primary) && verifies(s, primary, x -> x.verifyCertification(primary))) {
                best = newer(best, s);
            }
        }
        return best;
    }

    /** The newest subkey binding (0x18) by {@code primary} that verifies and embeds a verifying back-signature (0x19). */
    private PGPSignature latestValidBinding(PGPPublicKey primary, PGPPublicKey subkey) {
        PGPSignature best = null;
        for (Iterator<PGPSignature> it = subkey.getSignaturesOfType(PGPSignature.SUBKEY_BINDING); it.hasNext(); ) {
            PGPSignature s = it.next();
            if (acceptableSelfSig(s, primary) && verifies(s, primary, x -> x.verifyCertification(primary, subkey))
                    && hasValidBackSignature(s, primary, subkey)) {
                best = newer(best, s);
            }
        }
        return best;
    }

    /** RFC 9580 §5.2.1: a signing subkey's binding carries an embedded 0x19 signature made by the subkey. */
    private boolean hasValidBackSignature(PGPSignature binding, PGPPublicKey primary, PGPPublicKey subkey) {
        try {
            PGPSignatureSubpacketVector hashed = binding.getHashedSubPackets();
            List<PGPSignature> embedded = new ArrayList<>();
            for (PGPSignatureSubpacketVector v : new PGPSignatureSubpacketVector[] {hashed, binding.getUnhashedSubPackets()}) {
                if (v != null) {
                    for (PGPSignature e : v.getEmbeddedSignatures()) {
                        embedded.add(e);
                    }
                }
            }
            for (PGPSignature back : embedded) {
                if (back.getSignatureType() == PGPSignature.PRIMARYKEY_BINDING
                        && allowedDigests.contains(digestName(back.getHashAlgorithm()))
                        && verifies(back, subkey, x -> x.verifyCertification(primary, subkey))) {
                    return true;
                }
            }
            return false;
        } catch (PGPException | RuntimeException e) {
            return false;
        }
    }

    private boolean acceptableSelfSig(PGPSignature s, PGPPublicKey primary) {
        return s.getKeyID() == primary.getKeyID()
                && allowedDigests.contains(digestName(s.getHashAlgorithm()))
                && !s.getCreationTime().toInstant().isAfter(now);
    }

    private interface CertCheck {
        boolean verify(PGPSignature s) throws PGPException;
    }

    private static boolean verifies(PGPSignature s, PGPPublicKey signer, CertCheck check) {
        try {
            s.init(VERIFIERS, signer);
            return check.verify(s);
        } catch (PGPException | RuntimeException e) {
            return false;
        }
    }

    private boolean verifiesAny(Iterator<PGPSignature> it, PGPPublicKey signer, CertCheck check) {
        while (it.hasNext()) {
            PGPSignature s = it.next();
            if (s.getKeyID() == signer.getKeyID() && verifies(s, signer, check)) {
                return true;
            }
        }
        return false;
    }

    /** RFC 9580 §5.2.3.13: key expiration time is seconds after the key's creation; 0 = never. */
    private boolean expired(PGPPublicKey key, PGPSignature selfSig) {
        PGPSignatureSubpacketVector hashed = selfSig.getHashedSubPackets();
        long seconds = hashed == null ? 0 : hashed.getKeyExpirationTime();
        return seconds > 0 && !key.getCreationTime().toInstant().plusSeconds(seconds).isAfter(now);
    }

    private String keyStrengthProblem(PGPPublicKey key) {
        int alg = key.getAlgorithm();
        boolean rsaLike = alg == PublicKeyAlgorithmTags.RSA_GENERAL || alg == PublicKeyAlgorithmTags.RSA_SIGN
                || alg == PublicKeyAlgorithmTags.DSA;
        if (rsaLike && key.getBitStrength() < minRsaKeyBits) {
            return "key " + hex(key.getFingerprint()) + " has " + key.getBitStrength() + " bits, the policy requires "
                    + minRsaKeyBits;
        }
        if (alg == PublicKeyAlgorithmTags.ELGAMAL_GENERAL || alg == PublicKeyAlgorithmTags.ELGAMAL_ENCRYPT
                || alg == PublicKeyAlgorithmTags.RSA_ENCRYPT) {
            return "key algorithm " + alg + " is not accepted for signatures";
        }
        return null;
    }

    private static PGPSignature newer(PGPSignature a, PGPSignature b) {
        return a == null || b.getCreationTime().after(a.getCreationTime()) ? b : a;
    }

    /** JCA name of an OpenPGP hash algorithm id (RFC 9580 §9.5); unknown ids get a descriptive name. */
    static String digestName(int id) {
        switch (id) {
            case HashAlgorithmTags.SHA256: return "SHA-256";
            case HashAlgorithmTags.SHA384: return "SHA-384";
            case HashAlgorithmTags.SHA512: return "SHA-512";
            case HashAlgorithmTags.SHA224: return "SHA-224";
            case HashAlgorithmTags.SHA1: return "SHA-1";
            case HashAlgorithmTags.MD5: return "MD5";
            case HashAlgorithmTags.RIPEMD160: return "RIPEMD-160";
            default: return "hash-algorithm-" + id;
        }
    }

    private static byte[] issuerFingerprint(PGPSignature sig) {
        PGPSignatureSubpacketVector hashed = sig.getHashedSubPackets();
        IssuerFingerprint f = hashed == null ? null : hashed.getIssuerFingerprint();
        return f == null ? null : f.getFingerprint();
    }

    private static String issuerName(PGPSignature sig) {
        byte[] fpr = issuerFingerprint(sig);
        return fpr != null ? hex(fpr) : String.format(Locale.ROOT, "%016X", sig.getKeyID());
    }

    private static String firstUserId(PGPPublicKey primary) {
        Iterator<String> ids = primary.getUserIDs();
        return ids.hasNext() ? ids.next() : hex(primary.getFingerprint());
    }

    static String hex(byte[] b) {
        return HexFormat.of().withUpperCase().formatHex(b);
    }
}
