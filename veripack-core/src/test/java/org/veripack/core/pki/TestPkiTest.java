package org.veripack.core.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.io.InputStream;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.pki.TestPki.KeyType;

class TestPkiTest {
    @TempDir Path dir;

    @Test
    void defaultChainHasCaAndCodeSigningLeafAndOpensslVerifiesIt() throws Exception {
        Issued root = TestPki.cert("CN=Test Root,O=Veripack Test").ca(true).build();
        Issued ca = TestPki.cert("CN=Test Issuing CA,O=Veripack Test").pathLen(0).issuedBy(root).build();
        Issued leaf = TestPki.cert("CN=Test Code Signing,O=Veripack Test").issuedBy(ca).build();

        X509Certificate c = leaf.certificate();
        assertEquals(3, c.getVersion());
        assertEquals(-1, c.getBasicConstraints());
        assertTrue(c.getKeyUsage()[0], "digitalSignature");
        assertTrue(c.getExtendedKeyUsage().contains(KeyPurposeId.id_kp_codeSigning.getId()));
        assertEquals(0, ca.certificate().getBasicConstraints());
        assertTrue(root.certificate().getKeyUsage()[5], "keyCertSign");
        assertNull(root.certificate().getExtendedKeyUsage());
        c.verify(ca.certificate().getPublicKey());

        TestPki.writeCertificatesPem(dir.resolve("root.pem"), root.certificate());
        TestPki.writeCertificatesPem(dir.resolve("ca.pem"), ca.certificate());
        TestPki.writeCertificatesPem(dir.resolve("leaf.pem"), leaf.certificate());
        String out = Openssl.ok(dir, "verify", "-CAfile", "root.pem", "-untrusted", "ca.pem",
                "-purpose", "any", "-attime", String.valueOf(TestPki.DEFAULT_NOW.getEpochSecond()), "leaf.pem");
        assertTrue(out.contains("OK"), out);
    }

    @Test
    void everyKeyTypeSignsCertificates() throws Exception {
        for (KeyType t : KeyType.values()) {
            Issued root = TestPki.cert("CN=Root " + t).keyType(t).ca(true).build();
            Issued leaf = TestPki.cert("CN=Leaf " + t).keyType(t).issuedBy(root).build();
            leaf.certificate().verify(root.certificate().getPublicKey());
        }
    }

    @Test
    void optionsShapeTheCertificate() throws Exception {
        Issued v1 = TestPki.cert("CN=V1").noExtensions().keyType(KeyType.RSA_2048).signatureAlgorithm("SHA1withRSA")
                .serial(BigInteger.valueOf(42)).build();
        assertEquals(1, v1.certificate().getVersion());
        assertEquals("SHA1withRSA", v1.certificate().getSigAlgName());
        assertEquals(BigInteger.valueOf(42), v1.certificate().getSerialNumber());

        Issued odd = TestPki.cert("CN=Odd").criticalUnknownExtension().extendedKeyUsage(KeyPurposeId.id_kp_serverAuth).build();
        assertTrue(odd.certificate().getCriticalExtensionOIDs().contains(TestPki.UNKNOWN_EXTENSION_OID.getId()));
        assertEquals(java.util.List.of(KeyPurposeId.id_kp_serverAuth.getId()), odd.certificate().getExtendedKeyUsage());
    }

    @Test
    void writesPkcs8AndPkcs12ThatOpensslReads() throws Exception {
        Issued root = TestPki.cert("CN=Root").ca(true).build();
        Issued leaf = TestPki.cert("CN=Leaf").issuedBy(root).build();
        TestPki.writePrivateKeyPem(dir.resolve("key.pem"), leaf.keyPair().getPrivate());
        assertTrue(Files.readString(dir.resolve("key.pem")).startsWith("-----BEGIN PRIVATE KEY-----"));
        Openssl.ok(dir, "pkey", "-in", "key.pem", "-noout");

        char[] pw = "changeit".toCharArray();
        TestPki.writePkcs12(dir.resolve("id.p12"), pw, leaf, root.certificate());
        Openssl.ok(dir, "pkcs12", "-in", "id.p12", "-passin", "pass:changeit", "-nokeys", "-out", "certs.pem");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve("id.p12"))) {
            ks.load(in, pw);
        }
        assertNotNull(ks.getKey("signer", pw));
        assertEquals(2, ks.getCertificateChain("signer").length);
    }
}
