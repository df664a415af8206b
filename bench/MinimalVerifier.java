import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * The minimal JVM verifier of bench/run.sh (case {@code minimal}): the least work any Java program that
 * checks a signed package must do, with the JDK alone and nothing of Veripack's. It hashes FILE as
 * {@code BareHash} does (FileChannel, 64 KiB direct buffer, the JDK's SHA-256) and, on a second thread
 * beside the hash (as Veripack runs its signature checks beside its hashing), parses the trust anchor and
 * the signer certificate, validates the one-certificate path with the JDK's PKIX validator (RFC 5280 §6.1,
 * revocation off) and verifies one ECDSA P-256/SHA-256 signature over DATA with the signer's key. No zip
 * directory, manifest, CMS structure, policy, report or command line: what it costs over {@code BareHash}
 * is the JVM's price of one certificate path and one signature, which a verifier cannot avoid.
 *
 * <p>Usage: {@code java -cp DIR MinimalVerifier FILE CA.pem SIGNER.pem SIGNATURE DATA} (SIGNATURE: the DER
 * ECDSA signature {@code openssl dgst -sha256 -sign} writes). Prints the file's hex SHA-256; exits non-zero
 * with a stack trace when the path or the signature does not verify (a benchmark fixture error).
 */
public final class MinimalVerifier {
    public static void main(String[] args) throws Exception {
        Throwable[] failure = new Throwable[1];
        Thread checks = new Thread(() -> {
            try {
                CertificateFactory x509 = CertificateFactory.getInstance("X.509");
                X509Certificate anchor;
                X509Certificate signer;
                try (InputStream in = Files.newInputStream(Path.of(args[1]))) {
                    anchor = (X509Certificate) x509.generateCertificate(in);
                }
                try (InputStream in = Files.newInputStream(Path.of(args[2]))) {
                    signer = (X509Certificate) x509.generateCertificate(in);
                }
                PKIXParameters pkix = new PKIXParameters(Set.of(new TrustAnchor(anchor, null)));
                pkix.setRevocationEnabled(false);
                CertPathValidator.getInstance("PKIX").validate(x509.generateCertPath(List.of(signer)), pkix);
                Signature ecdsa = Signature.getInstance("SHA256withECDSA");
                ecdsa.initVerify(signer.getPublicKey());
                ecdsa.update(Files.readAllBytes(Path.of(args[4])));
                if (!ecdsa.verify(Files.readAllBytes(Path.of(args[3])))) {
                    throw new IllegalStateException("the signature over " + args[4] + " does not verify");
                }
            } catch (Exception | Error e) {
                failure[0] = e;
            }
        }, "checks");
        checks.start();
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
        try (FileChannel ch = FileChannel.open(Path.of(args[0]))) {
            while (ch.read(buf.clear()) >= 0) {
                sha256.update(buf.flip());
            }
        }
        checks.join();
        if (failure[0] != null) {
            throw new IllegalStateException("minimal verifier: check failed", failure[0]);
        }
        System.out.println(HexFormat.of().formatHex(sha256.digest()));
    }
}
