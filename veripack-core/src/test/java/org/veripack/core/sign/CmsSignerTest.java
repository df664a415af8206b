package org.veripack.core.sign;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Date;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.cms.SignerInformation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.veripack.core.pki.Openssl;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.pki.TestPki.KeyType;

class CmsSignerTest {
    private static final Clock CLOCK = Clock.fixed(TestPki.DEFAULT_NOW, ZoneOffset.UTC);

    @TempDir Path dir;

    private byte[] content() {
        return "MME software payload\nwith a second line\n".repeat(100).getBytes(StandardCharsets.UTF_8);
    }

    private void opensslVerifies(Issued root, byte[] der) throws Exception {
        Files.write(dir.resolve("content.bin"), content());
        Files.write(dir.resolve("sig.p7s"), der);
        TestPki.writeCertificatesPem(dir.resolve("root.pem"), root.certificate());
        String out = Openssl.ok(dir, "cms", "-verify", "-binary", "-inform", "DER", "-in", "sig.p7s",
                "-content", "content.bin", "-CAfile", "root.pem", "-purpose", "any",
                "-attime", String.valueOf(TestPki.DEFAULT_NOW.getEpochSecond()), "-out", "/dev/null");
        assertTrue(out.contains("Verification successful"), out);
    }

    /**
     * OpenSSL 3.0 cannot verify Ed25519 CMS at all (its own {@code openssl cms -sign} with Ed25519 fails with
     * "eddsa_digest_signverify_init: invalid digest"), so Ed25519 signatures are checked with BC here and
     * with Veripack's verifier in the cms tests.
     */
    @ParameterizedTest
    @EnumSource(value = KeyType.class, names = {"EC_P256", "EC_P384", "RSA_2048", "RSA_3072", "ED25519"})
    void detachedSignatureOfEveryKeyTypeVerifies(KeyType type) throws Exception {
        Issued root = TestPki.cert("CN=Root " + type).keyType(type).ca(true).build();
        Issued ca = TestPki.cert("CN=CA " + type).keyType(type).ca(true).issuedBy(root).build();
        Issued leaf = TestPki.cert("CN=Signer " + type).keyType(type).issuedBy(ca).build();
        CmsSigner signer = CmsSigner.builder(leaf.identity(ca.certificate())).clock(CLOCK).build();
        byte[] der = signer.signDetached(new ByteArrayInputStream(content()));
        if (type == KeyType.ED25519) {
            CMSSignedData detached = new CMSSignedData(new CMSProcessableByteArray(content()), der);
            SignerInformation si = detached.getSignerInfos().getSigners().iterator().next();
            assertTrue(si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(leaf.certificate())));
            assertEquals(NISTObjectIdentifiers.id_sha512.getId(), si.getDigestAlgOID(), "RFC 8419 §3.1");
        } else {
            opensslVerifies(root, der);
        }

        CMSSignedData sd = new CMSSignedData(der);
        assertEquals(2, sd.getCertificates().getMatches(null).size());
        assertEquals(1, sd.getSignerInfos().size());
        SignerInformation si = sd.getSignerInfos().getSigners().iterator().next();
        AttributeTable attrs = si.getSignedAttributes();
        assertNotNull(attrs.get(CMSAttributes.contentType));
        assertNotNull(attrs.get(CMSAttributes.messageDigest));
        assertNotNull(attrs.get(CMSAttributes.cmsAlgorithmProtect));
        Date signingTime = Time.getInstance(attrs.get(CMSAttributes.signingTime).getAttrValues().getObjectAt(0)).getDate();
        assertEquals(TestPki.DEFAULT_NOW, signingTime.toInstant());
        assertEquals(CMSObjectIdentifiers.data.getId(), sd.getSignedContentTypeOID());
        assertTrue(sd.isDetachedSignature());
    }

    @Test
    void digestAndPssOptions() throws Exception {
        Issued root = TestPki.cert("CN=Root").keyType(KeyType.RSA_2048).ca(true).build();
        Issued leaf = TestPki.cert("CN=Signer").keyType(KeyType.RSA_2048).issuedBy(root).build();
        for (String d : new String[] {"SHA-256", "SHA-384", "SHA-512"}) {
            for (boolean pss : new boolean[] {false, true}) {
                byte[] der = CmsSigner.builder(leaf.identity()).digestAlgorithm(d).rsaPss(pss).clock(CLOCK).build()
                        .signDetached(new ByteArrayInputStream(content()));
                opensslVerifies(root, der);
                SignerInformation si = new CMSSignedData(der).getSignerInfos().getSigners().iterator().next();
                byte[] md = ASN1OctetString.getInstance(si.getSignedAttributes().get(CMSAttributes.messageDigest)
                        .getAttrValues().getObjectAt(0)).getOctets();
                assertArrayEquals(MessageDigest.getInstance(d).digest(content()), md);
            }
        }
        Issued ec = TestPki.cert("CN=EC").issuedBy(root).build();
        opensslVerifies(root, CmsSigner.builder(ec.identity()).digestAlgorithm("SHA-512").clock(CLOCK).build()
                .signDetached(new ByteArrayInputStream(content())));
    }

    @Test
    void pemFormIsWhatOpensslReads() throws Exception {
        Issued root = TestPki.cert("CN=Root").ca(true).build();
        Issued leaf = TestPki.cert("CN=Signer").issuedBy(root).build();
        Files.write(dir.resolve("content.bin"), content());
        byte[] der = CmsSigner.builder(leaf.identity()).clock(CLOCK).build().signDetached(dir.resolve("content.bin"));
        String pem = CmsSigner.toPem(der);
        assertTrue(pem.startsWith("-----BEGIN CMS-----\n") && pem.endsWith("-----END CMS-----\n"));
        Files.writeString(dir.resolve("sig.pem"), pem);
        TestPki.writeCertificatesPem(dir.resolve("root.pem"), root.certificate());
        Openssl.ok(dir, "cms", "-verify", "-binary", "-inform", "PEM", "-in", "sig.pem", "-content", "content.bin",
                "-CAfile", "root.pem", "-purpose", "any",
                "-attime", String.valueOf(TestPki.DEFAULT_NOW.getEpochSecond()), "-out", "/dev/null");
        // openssl's own PEM output of our DER is identical
        Files.write(dir.resolve("sig.der"), der);
        String viaOpenssl = Openssl.ok(dir, "cms", "-cmsout", "-inform", "DER", "-in", "sig.der", "-outform", "PEM");
        assertEquals(viaOpenssl, pem);
    }

    @Test
    void tamperedContentFailsOpensslVerification() throws Exception {
        Issued root = TestPki.cert("CN=Root").ca(true).build();
        Issued leaf = TestPki.cert("CN=Signer").issuedBy(root).build();
        byte[] der = CmsSigner.builder(leaf.identity()).clock(CLOCK).build().signDetached(new ByteArrayInputStream(content()));
        byte[] tampered = content();
        tampered[7] ^= 1;
        Files.write(dir.resolve("content.bin"), tampered);
        Files.write(dir.resolve("sig.p7s"), der);
        TestPki.writeCertificatesPem(dir.resolve("root.pem"), root.certificate());
        assertFalse(Openssl.run(dir, "cms", "-verify", "-binary", "-inform", "DER", "-in", "sig.p7s",
                "-content", "content.bin", "-CAfile", "root.pem", "-purpose", "any",
                "-attime", String.valueOf(TestPki.DEFAULT_NOW.getEpochSecond()), "-out", "/dev/null").ok());
    }

    @Test
    void contentReadErrorIsAnIOException() {
        Issued leaf = TestPki.cert("CN=Signer").build();
        CmsSigner signer = CmsSigner.builder(leaf.identity()).clock(CLOCK).build();
        InputStream broken = new InputStream() {
            @Override public int read() throws IOException { throw new IOException("disk gone"); }
            @Override public int read(byte[] b, int off, int len) throws IOException { throw new IOException("disk gone"); }
        };
        IOException e = assertThrows(IOException.class, () -> signer.signDetached(broken));
        assertEquals("disk gone", e.getMessage());
    }

    @Test
    void weakRsaSignerIsRefused() {
        Issued leaf = TestPki.cert("CN=Weak").keyType(KeyType.RSA_1024).build();
        assertThrows(IllegalArgumentException.class, () -> CmsSigner.builder(leaf.identity()).build());
        assertThrows(IllegalArgumentException.class,
                () -> CmsSigner.builder(leaf.identity()).digestAlgorithm("SHA-1"));
    }
}
