package org.veripack.core.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.PolicyException;
import org.veripack.core.TrustPolicyLoader;
import org.veripack.core.pki.Openssl;
import org.veripack.core.sign.SigningIdentities;

/**
 * The one certificate-file reading behind trust anchors ({@link TrustPolicyLoader#readCertificates}) and a signer's
 * certificate ({@link SigningIdentities#readCertificates}): the encodings openssl writes, read the same by both.
 */
class CertificateFileReadingTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void certificates() throws Exception {
        for (String n : new String[] {"root", "other"}) {
            Openssl.ok(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", n + ".key", "-subj", "/CN=" + n, "-days", "30", "-out", n + ".pem");
            Openssl.ok(dir, "x509", "-in", n + ".pem", "-outform", "DER", "-out", n + ".der");
        }
        Files.writeString(dir.resolve("bundle.pem"), "text before the blocks\n" + Files.readString(dir.resolve("root.key"))
                + Files.readString(dir.resolve("root.pem")) + Files.readString(dir.resolve("other.pem")));
        Openssl.ok(dir, "crl2pkcs7", "-nocrl", "-certfile", "bundle.pem", "-outform", "DER", "-out", "bundle.p7b");
    }

    private static List<String> subjects(List<X509Certificate> certs) {
        return certs.stream().map(c -> c.getSubjectX500Principal().getName()).toList();
    }

    @Test
    void bothReadersReadTheSameCertificatesFromEveryEncoding() throws PolicyException {
        for (String[] f : new String[][] {{"root.pem", "CN=root"}, {"root.der", "CN=root"},
                {"bundle.pem", "CN=root,CN=other"}, {"bundle.p7b", "CN=root,CN=other"}}) {
            List<String> expected = List.of(f[1].split(","));
            assertEquals(expected, subjects(TrustPolicyLoader.readCertificates(null, "--trust", dir.resolve(f[0]))), f[0]);
            assertEquals(expected, subjects(SigningIdentities.readCertificates(dir.resolve(f[0]))), f[0]);
        }
    }

    @Test
    void aKeyTruncatedDerOrHugeFileIsAPolicyExceptionFromBoth() throws IOException {
        byte[] der = Files.readAllBytes(dir.resolve("root.der"));
        Path truncated = dir.resolve("truncated.der");
        Files.write(truncated, java.util.Arrays.copyOf(der, der.length - 10));
        Path huge = dir.resolve("huge.pem");
        try (RandomAccessFile f = new RandomAccessFile(huge.toFile(), "rw")) {
            f.setLength(TrustPolicyLoader.MAX_CERTIFICATE_FILE_BYTES + 1); // sparse: no disk used
        }
        for (Path p : List.of(dir.resolve("root.key"), truncated)) {
            assertThrows(PolicyException.class, () -> TrustPolicyLoader.readCertificates(null, "--trust", p), p.toString());
            assertThrows(PolicyException.class, () -> SigningIdentities.readCertificates(p), p.toString());
        }
        assertThrows(PolicyException.class, () -> TrustPolicyLoader.readCertificates(null, "--trust", huge));
    }
}
