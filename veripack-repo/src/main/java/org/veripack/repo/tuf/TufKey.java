package org.veripack.repo.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.openssl.PEMParser;

/**
 * A TUF public key (spec §4.2 "KEY"): {@code ed25519} (scheme {@code ed25519}, {@code keyval.public} the 32-byte key
 * in hex) or ECDSA P-256 (keytype {@code ecdsa} or the older {@code ecdsa-sha2-nistp256}, scheme
 * {@code ecdsa-sha2-nistp256}, {@code keyval.public} a PEM SubjectPublicKeyInfo; signatures DER over SHA-256, as
 * securesystemslib and tuf-js write them). Signatures are checked with the JDK's JCA (Ed25519, SHA256withECDSA).
 *
 * @param json      the key object as it appears in root metadata
 * @param publicKey the JCA key
 * @param identity  the canonical bytes of {@code {keytype, scheme, keyval}}: two key ids naming the same key have the
 *                  same identity, so a threshold counts the key once (TUF §4.3)
 */
public record TufKey(ObjectNode json, PublicKey publicKey, String scheme, byte[] identity) {
    static final String ED25519 = "ed25519";
    static final String ECDSA_P256 = "ecdsa-sha2-nistp256";
    /** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4) before the 32 key bytes. */
    private static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    /**
     * Reads a key object of root metadata.
     *
     * @throws RepositoryException {@code REPO_MALFORMED} for an unsupported key type or scheme or a public key that
     *                             does not parse
     */
    public static TufKey parse(String subject, JsonNode key) throws RepositoryException {
        String keytype = key.path("keytype").asText("");
        String scheme = key.path("scheme").asText("");
        String pub = key.path("keyval").path("public").asText("");
        try {
            PublicKey pk;
            if (keytype.equals(ED25519) && scheme.equals(ED25519)) {
                byte[] raw = HexFormat.of().parseHex(pub);
                if (raw.length != 32) {
                    throw new IllegalArgumentException("an Ed25519 public key has 32 bytes, not " + raw.length);
                }
                byte[] spki = Arrays.copyOf(ED25519_SPKI_PREFIX, ED25519_SPKI_PREFIX.length + 32);
                System.arraycopy(raw, 0, spki, ED25519_SPKI_PREFIX.length, 32);
                pk = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
            } else if ((keytype.equals("ecdsa") || keytype.equals(ECDSA_P256)) && scheme.equals(ECDSA_P256)) {
                Object o;
                try (PEMParser p = new PEMParser(new StringReader(pub))) {
                    o = p.readObject();
                }
                if (!(o instanceof SubjectPublicKeyInfo spki)) {
                    throw new IllegalArgumentException("keyval.public is not a PEM public key");
                }
                pk = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(spki.getEncoded()));
                if (((ECPublicKey) pk).getParams().getCurve().getField().getFieldSize() != 256) {
                    throw new IllegalArgumentException("not a P-256 key");
                }
            } else {
                throw new IllegalArgumentException("unsupported keytype/scheme " + keytype + "/" + scheme
                        + " (supported: ed25519/ed25519, ecdsa/ecdsa-sha2-nistp256)");
            }
            return new TufKey((ObjectNode) key.deepCopy(), pk, scheme, CanonicalJson.encode(identityOf(keytype, scheme, pub)));
        } catch (java.io.IOException | GeneralSecurityException | RuntimeException e) {
            throw new RepositoryException(org.veripack.core.FindingCode.REPO_MALFORMED, subject, "key: " + e.getMessage());
        }
    }

    /** The key object of {@code publicKey} as a publisher writes it (Ed25519 or EC P-256). */
    public static TufKey of(PublicKey publicKey) {
        ObjectNode o;
        if (publicKey instanceof EdECPublicKey) {
            byte[] spki = publicKey.getEncoded();
            String hex = HexFormat.of().formatHex(spki, spki.length - 32, spki.length);
            o = identityOf(ED25519, ED25519, hex);
        } else if (publicKey instanceof ECPublicKey ec && ec.getParams().getCurve().getField().getFieldSize() == 256) {
            String pem = "-----BEGIN PUBLIC KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(publicKey.getEncoded())
                    + "\n-----END PUBLIC KEY-----\n";
            o = identityOf("ecdsa", ECDSA_P256, pem);
        } else {
            throw new IllegalArgumentException("TUF keys are Ed25519 or ECDSA P-256, not " + publicKey.getAlgorithm());
        }
        try {
            return parse("key", o);
        } catch (RepositoryException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode identityOf(String keytype, String scheme, String pub) {
        ObjectNode o = CanonicalJson.JSON.createObjectNode();
        o.put("keytype", keytype);
        o.put("scheme", scheme);
        o.putObject("keyval").put("public", pub);
        return o;
    }

    /** The key id: hex SHA-256 of the canonical key object (TUF §4.2 KEYID). */
    public String keyId() {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(CanonicalJson.encode(json)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code sig} is this key's signature over {@code data}; a malformed signature is simply not valid. */
    public boolean verifies(byte[] data, byte[] sig) {
        try {
            Signature s = Signature.getInstance(scheme.equals(ED25519) ? "Ed25519" : "SHA256withECDSA");
            s.initVerify(publicKey);
            s.update(data);
            return s.verify(sig);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /** Signs {@code data} with {@code privateKey}, the private half of this key, in this key's scheme. */
    public byte[] sign(PrivateKey privateKey, byte[] data) throws GeneralSecurityException {
        Signature s = Signature.getInstance(scheme.equals(ED25519) ? "Ed25519" : "SHA256withECDSA");
        s.initSign(privateKey);
        s.update(data);
        return s.sign();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TufKey k && Arrays.equals(identity, k.identity);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(identity); }

    @Override
    public String toString() { return scheme + " " + keyId(); }
}
