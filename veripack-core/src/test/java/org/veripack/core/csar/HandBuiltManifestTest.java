package org.veripack.core.csar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.veripack.core.csar.Fixtures.E;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.FindingCode;
import org.veripack.core.Verdict;
import org.veripack.core.VerificationReport;
import org.veripack.core.internal.csar.Digests;
import org.veripack.core.pki.Openssl;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CmsSigner;

/** CSARs whose manifest text the test writes and signs itself: manifest-level attacks and certificate locations. */
class HandBuiltManifestTest {
    private static final String APP = "application bytes\n";
    private static final String HEAD = "metadata:\n    vnf_product_name: app\n    vnf_provider_id: Acme\n    vnf_package_version: 1.0\n\n";

    @TempDir Path tmp;

    private static String sha(String alg, String s) {
        return Digests.hex(alg, s.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] signed(Issued signer, String prefix) throws Exception {
        byte[] p = prefix.getBytes(StandardCharsets.UTF_8);
        byte[] cms = CmsSigner.toPemBytes(CmsSigner.builder(signer.identity(Fixtures.CA.certificate())).clock(Fixtures.CLOCK)
                .build().signDetached(new ByteArrayInputStream(p)));
        byte[] out = new byte[p.length + cms.length];
        System.arraycopy(p, 0, out, 0, p.length);
        System.arraycopy(cms, 0, out, p.length, cms.length);
        return out;
    }

    private VerificationReport verify(List<E> entries) throws Exception {
        Path csar = Files.createTempFile(tmp, "hand", ".csar");
        Fixtures.write(csar, entries);
        return Fixtures.verifier().verifyCsar(csar);
    }

    private static List<E> csar(byte[] manifest, E... more) {
        List<E> l = new ArrayList<>();
        l.add(new E("app.mf", 0100644, manifest));
        l.add(E.file("Files/app.bin", APP));
        l.addAll(List.of(more));
        return l;
    }

    @Test
    void wellFormedHandBuiltCsarIsAccepted() throws Exception {
        String mf = HEAD + "Source: Files/app.bin\nAlgorithm: SHA-256\nHash: " + sha("SHA-256", APP) + "\n";
        VerificationReport r = verify(csar(signed(Fixtures.LEAF, mf)));
        assertEquals(Verdict.ACCEPTED, r.verdict(), r::toString);
    }

    @Test
    void manifestListingAnArtifactTwiceIsDuplicate() throws Exception {
        String mf = HEAD + "Source: Files/app.bin\nAlgorithm: SHA-256\nHash: " + sha("SHA-256", APP) + "\n\n"
                + "Source: ./Files/app.bin\nAlgorithm: SHA-512\nHash: " + sha("SHA-512", APP) + "\n";
        VerificationReport r = verify(csar(signed(Fixtures.LEAF, mf)));
        assertTrue(r.has(FindingCode.ARTIFACT_DUPLICATE), r::toString);
    }

    @Test
    void weakManifestDigestIsAlgorithmRejected() throws Exception {
        for (String alg : new String[] {"MD5", "SHA-1"}) {
            String mf = HEAD + "Source: Files/app.bin\nAlgorithm: " + alg + "\nHash: " + sha(alg, APP) + "\n";
            VerificationReport r = verify(csar(signed(Fixtures.LEAF, mf)));
            assertTrue(r.has(FindingCode.ALGORITHM_REJECTED), r::toString);
        }
    }

    @Test
    void artifactWithoutDigestInOption1IsMalformed() throws Exception {
        VerificationReport r = verify(csar(signed(Fixtures.LEAF, HEAD + "Source: Files/app.bin\n")));
        assertTrue(r.has(FindingCode.MALFORMED_PACKAGE), r::toString);
    }

    @Test
    void notYetValidSignerIsRejected() throws Exception {
        Issued future = TestPki.cert("CN=Future Code Signing,O=Acme").issuedBy(Fixtures.CA)
                .validity(TestPki.DEFAULT_NOW.plusSeconds(86400), TestPki.DEFAULT_NOW.plusSeconds(86400 * 365)).build();
        String mf = HEAD + "Source: Files/app.bin\nAlgorithm: SHA-256\nHash: " + sha("SHA-256", APP) + "\n";
        VerificationReport r = verify(csar(signed(future, mf)));
        assertTrue(r.has(FindingCode.CERT_NOT_YET_VALID), r::toString);
    }

    @Test
    void perArtifactSignatureIsVerified() throws Exception {
        byte[] sig = CmsSigner.builder(Fixtures.LEAF.identity(Fixtures.CA.certificate())).clock(Fixtures.CLOCK).build()
                .signDetached(new ByteArrayInputStream(APP.getBytes(StandardCharsets.UTF_8)));
        String mf = HEAD + "Source: Files/app.bin\nAlgorithm: SHA-256\nHash: " + sha("SHA-256", APP)
                + "\nSignature: Files/app.bin.sig.cms\n";
        VerificationReport ok = verify(csar(signed(Fixtures.LEAF, mf), new E("Files/app.bin.sig.cms", 0100644, sig)));
        assertEquals(Verdict.ACCEPTED, ok.verdict(), ok::toString);

        byte[] other = CmsSigner.builder(Fixtures.LEAF.identity(Fixtures.CA.certificate())).clock(Fixtures.CLOCK).build()
                .signDetached(new ByteArrayInputStream("something else".getBytes(StandardCharsets.UTF_8)));
        VerificationReport bad = verify(csar(signed(Fixtures.LEAF, mf), new E("Files/app.bin.sig.cms", 0100644, other)));
        assertTrue(bad.has(FindingCode.SIGNATURE_INVALID), bad::toString);
        VerificationReport missing = verify(csar(signed(Fixtures.LEAF, mf)));
        assertTrue(missing.has(FindingCode.ARTIFACT_MISSING), missing::toString);
    }

    @Test
    void signerCertificateFromRootCertFileOrToscaEntryCertificate() throws Exception {
        String prefix = HEAD + "Source: Files/app.bin\nAlgorithm: SHA-256\nHash: " + sha("SHA-256", APP) + "\n";
        Files.writeString(tmp.resolve("prefix"), prefix);
        TestPki.writeCertificatesPem(tmp.resolve("signer.pem"), Fixtures.LEAF.certificate());
        TestPki.writeCertificatesPem(tmp.resolve("chain.pem"), Fixtures.LEAF.certificate(), Fixtures.CA.certificate());
        TestPki.writePrivateKeyPem(tmp.resolve("signer.key"), Fixtures.LEAF.keyPair().getPrivate());
        Openssl.ok(tmp, "cms", "-sign", "-binary", "-nocerts", "-in", "prefix", "-signer", "signer.pem", "-inkey", "signer.key",
                "-outform", "PEM", "-out", "sig.pem");
        byte[] mf = (prefix + Files.readString(tmp.resolve("sig.pem"))).getBytes(StandardCharsets.UTF_8);
        byte[] chain = Files.readAllBytes(tmp.resolve("chain.pem"));

        VerificationReport none = verify(csar(mf));
        assertEquals(Verdict.REJECTED, none.verdict(), "no certificate anywhere must not verify");

        VerificationReport rootCert = verify(csar(mf, new E("app.cert", 0100644, chain)));
        assertEquals(Verdict.ACCEPTED, rootCert.verdict(), rootCert::toString);

        E meta = E.file("TOSCA-Metadata/TOSCA.meta", "TOSCA-Meta-File-Version: 1.0\nETSI-Entry-Manifest: app.mf\n"
                + "ETSI-Entry-Certificate: Files/signer.cert\n");
        VerificationReport entryCert = verify(csar(mf, meta, new E("Files/signer.cert", 0100644, chain)));
        assertEquals(Verdict.ACCEPTED, entryCert.verdict(), entryCert::toString);
    }
}
