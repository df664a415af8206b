package org.veripack.core.apt;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.crypto.generators.Ed25519KeyPairGenerator;
import org.bouncycastle.crypto.params.Ed25519KeyGenerationParameters;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPKeyPair;

/**
 * A test OpenPGP certificate made with Bouncy Castle: an Ed25519 primary key (certify + sign) with a
 * user ID, and an Ed25519 signing subkey bound to it (binding signature with back-signature, RFC 9580
 * §5.2.1). Document signatures are made by the subkey unless {@link #signWithPrimary} is set.
 */
final class OpenPgpTestKey {
    static final SecureRandom RANDOM = new SecureRandom();

    final PGPKeyPair primary;
    final PGPKeyPair subkey;
    PGPPublicKeyRing ring;
    boolean signWithPrimary;

    private OpenPgpTestKey(PGPKeyPair primary, PGPKeyPair subkey, PGPPublicKeyRing ring) {
        this.primary = primary;
        this.subkey = subkey;
        this.ring = ring;
    }

    /** A certificate created at {@code created}; {@code expirySeconds} 0 = never (applies to primary and subkey). */
    static OpenPgpTestKey generate(String userId, Instant created, long expirySeconds) throws PGPException, IOException {
        PGPKeyPair primary = edKeyPair(created);
        PGPKeyPair subkey = edKeyPair(created).asSubkey(new BcKeyFingerprintCalculator());
        PGPPublicKey primaryPub = certifySelf(primary, userId, created, expirySeconds);
        PGPPublicKey subPub = bind(primary, subkey, created, expirySeconds);
        return new OpenPgpTestKey(primary, subkey, new PGPPublicKeyRing(List.of(primaryPub, subPub)));
    }

    static PGPKeyPair edKeyPair(Instant created) throws PGPException {
        Ed25519KeyPairGenerator g = new Ed25519KeyPairGenerator();
        g.init(new Ed25519KeyGenerationParameters(RANDOM));
        return new BcPGPKeyPair(PublicKeyAlgorithmTags.EDDSA_LEGACY, g.generateKeyPair(), Date.from(created));
    }

    private static PGPSignatureGenerator generator(PGPKeyPair signer, int hash) {
        return new PGPSignatureGenerator(new BcPGPContentSignerBuilder(PublicKeyAlgorithmTags.EDDSA_LEGACY, hash),
                signer.getPublicKey());
    }

    private static PGPPublicKey certifySelf(PGPKeyPair primary, String userId, Instant created, long expirySeconds)
            throws PGPException {
        PGPSignatureGenerator g = generator(primary, HashAlgorithmTags.SHA512);
        g.init(PGPSignature.POSITIVE_CERTIFICATION, primary.getPrivateKey());
        PGPSignatureSubpacketGenerator h = new PGPSignatureSubpacketGenerator();
        h.setSignatureCreationTime(true, Date.from(created));
        h.setKeyFlags(true, KeyFlags.CERTIFY_OTHER | KeyFlags.SIGN_DATA);
        h.setIssuerFingerprint(false, primary.getPublicKey());
        if (expirySeconds > 0) {
            h.setKeyExpirationTime(true, expirySeconds);
        }
        g.setHashedSubpackets(h.generate());
        PGPSignature sig = g.generateCertification(userId, primary.getPublicKey());
        return PGPPublicKey.addCertification(primary.getPublicKey(), userId, sig);
    }

    /** The subkey with a binding signature by {@code primary} that embeds the subkey's back-signature. */
    static PGPPublicKey bind(PGPKeyPair primary, PGPKeyPair subkey, Instant created, long expirySeconds)
            throws PGPException, IOException {
        PGPSignatureGenerator back = generator(subkey, HashAlgorithmTags.SHA512);
        back.init(PGPSignature.PRIMARYKEY_BINDING, subkey.getPrivateKey());
        PGPSignatureSubpacketGenerator bh = new PGPSignatureSubpacketGenerator();
        bh.setSignatureCreationTime(true, Date.from(created));
        back.setHashedSubpackets(bh.generate());
        PGPSignature backSig = back.generateCertification(primary.getPublicKey(), subkey.getPublicKey());

        PGPSignatureGenerator g = generator(primary, HashAlgorithmTags.SHA512);
        g.init(PGPSignature.SUBKEY_BINDING, primary.getPrivateKey());
        PGPSignatureSubpacketGenerator h = new PGPSignatureSubpacketGenerator();
        h.setSignatureCreationTime(true, Date.from(created));
        h.setKeyFlags(true, KeyFlags.SIGN_DATA);
        h.setIssuerFingerprint(false, primary.getPublicKey());
        h.setEmbeddedSignature(false, backSig);
        if (expirySeconds > 0) {
            h.setKeyExpirationTime(true, expirySeconds);
        }
        g.setHashedSubpackets(h.generate());
        PGPSignature binding = g.generateCertification(primary.getPublicKey(), subkey.getPublicKey());
        return PGPPublicKey.addCertification(subkey.getPublicKey(), binding);
    }

    /** Adds a key revocation signature (0x20) on the primary key. */
    void revoke(Instant at) throws PGPException {
        PGPSignatureGenerator g = generator(primary, HashAlgorithmTags.SHA512);
        g.init(PGPSignature.KEY_REVOCATION, primary.getPrivateKey());
        PGPSignatureSubpacketGenerator h = new PGPSignatureSubpacketGenerator();
        h.setSignatureCreationTime(true, Date.from(at));
        g.setHashedSubpackets(h.generate());
        PGPSignature rev = g.generateCertification(primary.getPublicKey());
        PGPPublicKey revoked = PGPPublicKey.addCertification(ring.getPublicKey(), rev);
        List<PGPPublicKey> keys = new ArrayList<>();
        keys.add(revoked);
        ring.getPublicKeys().forEachRemaining(k -> { if (!k.isMasterKey()) keys.add(k); });
        ring = new PGPPublicKeyRing(keys);
    }

    PGPKeyPair documentSigner() { return signWithPrimary ? primary : subkey; }

    /** A document signature of {@code type} over {@code data} made at {@code at} with {@code hash}. */
    PGPSignature sign(int type, byte[] data, Instant at, int hash) throws PGPException {
        PGPKeyPair signer = documentSigner();
        PGPSignatureGenerator g = generator(signer, hash);
        g.init(type, signer.getPrivateKey());
        PGPSignatureSubpacketGenerator h = new PGPSignatureSubpacketGenerator();
        h.setSignatureCreationTime(true, Date.from(at));
        h.setIssuerFingerprint(false, signer.getPublicKey());
        g.setHashedSubpackets(h.generate());
        g.update(data);
        return g.generate();
    }

    /** The certificate in binary form ({@code gpg --export}). */
    byte[] binary() throws IOException {
        return ring.getEncoded();
    }

    /** The certificate ASCII-armored ({@code gpg --armor --export}). */
    byte[] armored() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ArmoredOutputStream a = new ArmoredOutputStream(out)) {
            ring.encode(a);
        }
        return out.toByteArray();
    }

    static byte[] armor(List<PGPSignature> sigs) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream a = new ArmoredOutputStream(out)) {
            for (PGPSignature s : sigs) {
                s.encode(a);
            }
        }
        return out.toByteArray();
    }
}
