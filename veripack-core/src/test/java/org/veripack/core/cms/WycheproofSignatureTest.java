package org.veripack.core.cms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSASSAPSSparams;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.veripack.core.TestResources;
import org.veripack.core.internal.cms.AlgorithmRejectedException;
import org.veripack.core.internal.cms.SignatureValueVerifier;
import org.veripack.core.internal.cms.SignatureValueVerifier.SignatureAlgorithm;

/**
 * Project Wycheproof signature vectors (test resources {@code vectors/wycheproof}, origin and licence in
 * its README) run through {@link SignatureValueVerifier}, the class the
 * CMS verifier uses for every signature value. Every disagreement is collected with its tcId and
 * asserted once at the end (as Tink's EcdsaVerifyJceTest does).
 *
 * <p>Choices: {@code acceptable} accepts either outcome (the only ones in these files are RSA PKCS#1
 * signatures whose DigestInfo lacks the NULL parameter; the JDK rejects them, which is the stricter
 * choice). A vector whose key the algorithm policy refuses (none in these files) would count as
 * "rejected" and is only a disagreement when the vector is {@code valid}.
 */
class WycheproofSignatureTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();
    private static final Map<String, ASN1ObjectIdentifier> HASH_OIDS = Map.of(
            "SHA-256", NISTObjectIdentifiers.id_sha256,
            "SHA-384", NISTObjectIdentifiers.id_sha384,
            "SHA-512", NISTObjectIdentifiers.id_sha512);

    static Path vectors() {
        return TestResources.path("vectors/wycheproof");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "ecdsa_secp256r1_sha256_test.json",
        "ecdsa_secp384r1_sha384_test.json",
        "rsa_signature_2048_sha256_test.json",
        "rsa_signature_3072_sha256_test.json",
        "rsa_pss_2048_sha256_mgf1_32_test.json",
        "ed25519_test.json"})
    void everyVectorAgrees(String fileName) throws IOException {
        JsonNode root = JSON.readTree(Files.readAllBytes(vectors().resolve(fileName)));
        List<String> disagreements = new ArrayList<>();
        int count = 0;
        for (JsonNode group : root.get("testGroups")) {
            AlgorithmIdentifier sigAlg = algorithm(group);
            AsymmetricKeyParameter key;
            String keyRejected = null;
            try {
                key = SignatureValueVerifier.publicKey(SubjectPublicKeyInfo.getInstance(
                        HEX.parseHex(group.get("publicKeyDer").asText())), 2048);
            } catch (AlgorithmRejectedException e) {
                key = null;
                keyRejected = e.getMessage();
            }
            SignatureAlgorithm alg;
            try {
                alg = SignatureValueVerifier.signatureAlgorithm(sigAlg);
            } catch (AlgorithmRejectedException e) {
                throw new AssertionError(fileName + ": algorithm of a group rejected: " + e.getMessage(), e);
            }
            for (JsonNode t : group.get("tests")) {
                count++;
                String result = t.get("result").asText();
                boolean accepted = key != null && SignatureValueVerifier.verify(alg, key,
                        HEX.parseHex(t.get("msg").asText()), HEX.parseHex(t.get("sig").asText()));
                boolean agrees = "acceptable".equals(result) || accepted == "valid".equals(result);
                if (!agrees) {
                    disagreements.add("tcId " + t.get("tcId").asInt() + " expected " + result + " got "
                            + (accepted ? "valid" : "invalid") + (keyRejected != null ? " (key rejected: " + keyRejected + ")" : "")
                            + " — " + t.get("comment").asText() + " " + t.get("flags"));
                }
            }
        }
        assertEquals(root.get("numberOfTests").asInt(), count, "all vectors ran");
        assertTrue(disagreements.isEmpty(), fileName + ": " + disagreements.size() + " disagreements:\n"
                + String.join("\n", disagreements));
    }

    private static AlgorithmIdentifier algorithm(JsonNode group) {
        String type = group.get("type").asText();
        switch (type) {
            case "EcdsaVerify": {
                String sha = group.get("sha").asText();
                ASN1ObjectIdentifier oid = "SHA-256".equals(sha) ? X9ObjectIdentifiers.ecdsa_with_SHA256
                        : "SHA-384".equals(sha) ? X9ObjectIdentifiers.ecdsa_with_SHA384 : X9ObjectIdentifiers.ecdsa_with_SHA512;
                return new AlgorithmIdentifier(oid);
            }
            case "RsassaPkcs1Verify": {
                String sha = group.get("sha").asText();
                ASN1ObjectIdentifier oid = "SHA-256".equals(sha) ? PKCSObjectIdentifiers.sha256WithRSAEncryption
                        : "SHA-384".equals(sha) ? PKCSObjectIdentifiers.sha384WithRSAEncryption
                        : PKCSObjectIdentifiers.sha512WithRSAEncryption;
                return new AlgorithmIdentifier(oid, DERNull.INSTANCE);
            }
            case "RsassaPssVerify": {
                AlgorithmIdentifier hash = new AlgorithmIdentifier(HASH_OIDS.get(group.get("sha").asText()), DERNull.INSTANCE);
                AlgorithmIdentifier mgfHash = new AlgorithmIdentifier(HASH_OIDS.get(group.get("mgfSha").asText()), DERNull.INSTANCE);
                return new AlgorithmIdentifier(PKCSObjectIdentifiers.id_RSASSA_PSS, new RSASSAPSSparams(hash,
                        new AlgorithmIdentifier(PKCSObjectIdentifiers.id_mgf1, mgfHash),
                        new ASN1Integer(group.get("sLen").asInt()), new ASN1Integer(1)));
            }
            case "EddsaVerify":
                return new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519);
            default:
                throw new AssertionError("unknown Wycheproof group type " + type);
        }
    }
}
