package org.veripack.core.sign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.PolicyException;
import org.veripack.core.pki.Openssl;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.pki.TestPki.KeyType;

class SigningIdentitiesTest {
    private static final Clock CLOCK = Clock.fixed(TestPki.DEFAULT_NOW, ZoneOffset.UTC);

    @TempDir Path dir;

    /** Certifies an openssl-generated key with TestPki (openssl x509 -req would need a CSR round). */
    private Issued certifyOpensslKey(Path keyFile, Issued root) throws Exception {
        Openssl.ok(dir, "pkey", "-in", keyFile.getFileName().toString(), "-pubout", "-out", "pub.pem");
        java.security.PublicKey pub = readPublic(dir.resolve("pub.pem"));
        java.security.PrivateKey priv = SigningIdentities.readPrivateKey(keyFile);
        return TestPki.cert("CN=OpenSSL key signer").keyPair(new java.security.KeyPair(pub, priv)).issuedBy(root).build();
    }

    private static java.security.PublicKey readPublic(Path pem) throws Exception {
        try (org.bouncycastle.openssl.PEMParser p = new org.bouncycastle.openssl.PEMParser(Files.newBufferedReader(pem))) {
            return new org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter()
                    .getPublicKey((org.bouncycastle.asn1.x509.SubjectPublicKeyInfo) p.readObject());
        }
    }

    private void signAndOpensslVerify(SigningIdentity id, Issued root) throws Exception {
        byte[] content = "payload".getBytes();
        Files.write(dir.resolve("c.bin"), content);
        Files.write(dir.resolve("c.p7s"), CmsSigner.builder(id).clock(CLOCK).build()
                .signDetached(new ByteArrayInputStream(content)));
        TestPki.writeCertificatesPem(dir.resolve("root.pem"), root.certificate());
        Openssl.ok(dir, "cms", "-verify", "-binary", "-inform", "DER", "-in", "c.p7s", "-content", "c.bin",
                "-CAfile", "root.pem", "-purpose", "any", "-attime",
                String.valueOf(TestPki.DEFAULT_NOW.getEpochSecond()), "-out", "/dev/null");
    }

    @Test
    void opensslKeysInEveryPemFormLoadAndSign() throws Exception {
        Issued root = TestPki.cert("CN=Root").ca(true).build();
        String[][] gens = {
            {"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "k.pem"},
            {"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "k.pem"},
            {"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "k.pem"},
            {"ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "k.pem"},       // EC PRIVATE KEY
            {"genrsa", "-traditional", "-out", "k.pem", "2048"},                            // RSA PRIVATE KEY
        };
        for (String[] g : gens) {
            Openssl.ok(dir, g);
            Path key = dir.resolve("k.pem");
            Issued leaf = certifyOpensslKey(key, root);
            TestPki.writeCertificatesPem(dir.resolve("cert.pem"), leaf.certificate());
            SigningIdentity id = SigningIdentities.fromPem(key, dir.resolve("cert.pem"), null);
            signAndOpensslVerify(id, root);
        }
        // Ed25519: OpenSSL 3.0 cannot verify Ed25519 CMS, so only loading and signing are checked here
        Openssl.ok(dir, "genpkey", "-algorithm", "ED25519", "-out", "ed.pem");
        Issued ed = certifyOpensslKey(dir.resolve("ed.pem"), root);
        TestPki.writeCertificatesPem(dir.resolve("edcert.pem"), ed.certificate());
        SigningIdentity id = SigningIdentities.fromPem(dir.resolve("ed.pem"), dir.resolve("edcert.pem"), null);
        assertEquals("Ed25519", CmsSigner.builder(id).build().signatureAlgorithm());
        CmsSigner.builder(id).clock(CLOCK).build().signDetached(new ByteArrayInputStream(new byte[10]));
    }

    @Test
    void chainBundleAndPkcs12() throws Exception {
        Issued root = TestPki.cert("CN=Root").ca(true).build();
        Issued ca = TestPki.cert("CN=CA").ca(true).issuedBy(root).build();
        Issued leaf = TestPki.cert("CN=Leaf").keyType(KeyType.RSA_2048).issuedBy(ca).build();
        TestPki.writePrivateKeyPem(dir.resolve("key.pem"), leaf.keyPair().getPrivate());
        TestPki.writeCertificatesPem(dir.resolve("cert.pem"), leaf.certificate());
        TestPki.writeCertificatesPem(dir.resolve("chain.pem"), ca.certificate());
        SigningIdentity id = SigningIdentities.fromPem(dir.resolve("key.pem"), dir.resolve("cert.pem"), dir.resolve("chain.pem"));
        assertEquals(1, id.chain().size());
        signAndOpensslVerify(id, root);

        char[] pw = "s3cret".toCharArray();
        TestPki.writePkcs12(dir.resolve("id.p12"), pw, leaf, ca.certificate());
        SigningIdentity p12 = SigningIdentities.fromPkcs12(dir.resolve("id.p12"), pw, null);
        assertEquals(leaf.certificate(), p12.certificate());
        assertEquals(1, p12.chain().size());
        signAndOpensslVerify(p12, root);

        // a PKCS#12 made by openssl
        Openssl.ok(dir, "pkcs12", "-export", "-inkey", "key.pem", "-in", "cert.pem", "-certfile", "chain.pem",
                "-passout", "pass:s3cret", "-out", "openssl.p12");
        signAndOpensslVerify(SigningIdentities.fromPkcs12(dir.resolve("openssl.p12"), pw, null), root);
    }

    @Test
    void badInputIsAPolicyExceptionNamingTheFile() throws Exception {
        Issued leaf = TestPki.cert("CN=Leaf").build();
        Issued other = TestPki.cert("CN=Other").build();
        TestPki.writePrivateKeyPem(dir.resolve("key.pem"), leaf.keyPair().getPrivate());
        TestPki.writePrivateKeyPem(dir.resolve("otherkey.pem"), other.keyPair().getPrivate());
        TestPki.writeCertificatesPem(dir.resolve("cert.pem"), leaf.certificate());
        Files.writeString(dir.resolve("garbage.pem"), "not a key\n");

        assertNamed("missing.pem", () -> SigningIdentities.fromPem(dir.resolve("missing.pem"), dir.resolve("cert.pem"), null));
        assertNamed("garbage.pem", () -> SigningIdentities.fromPem(dir.resolve("garbage.pem"), dir.resolve("cert.pem"), null));
        assertNamed("garbage.pem", () -> SigningIdentities.fromPem(dir.resolve("key.pem"), dir.resolve("garbage.pem"), null));
        assertNamed("key.pem", () -> SigningIdentities.fromPem(dir.resolve("key.pem"), dir.resolve("key.pem"), null));
        assertNamed("otherkey.pem", () -> SigningIdentities.fromPem(dir.resolve("otherkey.pem"), dir.resolve("cert.pem"), null));
        assertNamed("garbage.pem", () -> SigningIdentities.fromPkcs12(dir.resolve("garbage.pem"), new char[0], null));

        TestPki.writePkcs12(dir.resolve("id.p12"), "right".toCharArray(), leaf);
        assertNamed("id.p12", () -> SigningIdentities.fromPkcs12(dir.resolve("id.p12"), "wrong".toCharArray(), null));

        Openssl.ok(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256",
                "-pass", "pass:x", "-out", "enc.pem");
        assertNamed("enc.pem", () -> SigningIdentities.readPrivateKey(dir.resolve("enc.pem")));

        Issued weak = TestPki.cert("CN=Weak").keyType(KeyType.RSA_1024).build();
        TestPki.writePrivateKeyPem(dir.resolve("weak.pem"), weak.keyPair().getPrivate());
        TestPki.writeCertificatesPem(dir.resolve("weakcert.pem"), weak.certificate());
        assertNamed("weak.pem", () -> SigningIdentities.fromPem(dir.resolve("weak.pem"), dir.resolve("weakcert.pem"), null));
    }

    private static void assertNamed(String fileName, org.junit.jupiter.api.function.Executable call) {
        PolicyException e = assertThrows(PolicyException.class, call);
        assertTrue(e.getMessage().contains(fileName), e.getMessage());
    }
}
