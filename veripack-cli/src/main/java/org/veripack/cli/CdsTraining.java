package org.veripack.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Comparator;
import java.util.stream.Stream;
import org.veripack.core.PackageVerifier;
import org.veripack.core.pki.TestPki;

/**
 * The training run of the launcher's class-data-sharing archive (AppCDS, JEP 350): {@code ./veripack}
 * runs {@code java -XX:ArchiveClassesAtExit=... -cp veripack-cli.jar org.veripack.cli.CdsTraining} once per
 * build, so that later runs map the classes of the verify path (picocli, Commons Compress, Bouncy Castle,
 * the verifier) from the archive instead of loading and verifying them. It signs and verifies a tiny
 * CSAR and a detached file through the real CLI in a temporary directory, with a throw-away test PKI,
 * installs the CSAR into a temporary node root and re-verifies it (best effort), and deletes everything. Exit 0 when every step gave the expected exit code.
 */
public final class CdsTraining {
    private CdsTraining() { }

    public static void main(String[] args) throws IOException, GeneralSecurityException {
        Path dir = Files.createTempDirectory("veripack-cds-");
        PrintStream out = System.out;
        PrintStream err = System.err;
        int failures = 0;
        try {
            PackageVerifier.warmUp(); // as Main.main does for verify: its classes belong in the archive too
            System.setOut(new PrintStream(OutputStream.nullOutputStream()));
            System.setErr(new PrintStream(OutputStream.nullOutputStream()));
            TestPki.Issued root = TestPki.cert("CN=Training Root").ca(true).build();
            TestPki.Issued signer = TestPki.cert("CN=Training Signer").issuedBy(root).codeSigningEku(true).build();
            Path ca = pem(dir.resolve("ca.pem"), "CERTIFICATE", root.certificate().getEncoded());
            Path cert = pem(dir.resolve("signer.pem"), "CERTIFICATE", signer.certificate().getEncoded());
            Path key = pem(dir.resolve("signer.key"), "PRIVATE KEY", signer.keyPair().getPrivate().getEncoded());
            Path src = Files.createDirectories(dir.resolve("src/Artifacts"));
            Files.write(src.resolve("app.bin"), new byte[64 * 1024]);
            Path csar = dir.resolve("t.csar");
            failures += expect(0, "sign", "--key", key.toString(), "--cert", cert.toString(), "--csar", dir.resolve("src").toString(),
                    "--name", "t", "--version", "1", "--store", "--out", csar.toString());
            failures += expect(0, "verify", "--trust", ca.toString(), csar.toString());
            failures += expect(0, "verify", "--trust", ca.toString(), "--json", csar.toString());
            Path file = src.resolve("app.bin");
            failures += expect(0, "sign", "--key", key.toString(), "--cert", cert.toString(), "--detached", file.toString(),
                    "--out", dir.resolve("app.p7s").toString());
            failures += expect(0, "verify", "--trust", ca.toString(), file.toString(), "--signature", dir.resolve("app.p7s").toString());
            // node commands (guard start-up): best effort, an unauthorised user gets exit 4 here
            String node = dir.resolve("node").toString();
            Main.execute("trust", "set", "--root", node, "--trust", ca.toString());
            Main.execute("install", "--root", node, csar.toString());
            Main.execute("verify-installed", "--root", node);
            Main.execute("status", "--root", node, "--json");
        } finally {
            System.setOut(out);
            System.setErr(err);
            try (Stream<Path> walk = Files.walk(dir)) { // installed slots are read-only
                walk.filter(Files::isDirectory).forEach(p -> p.toFile().setWritable(true, true));
            }
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        if (failures > 0) {
            System.err.println("veripack: class-data training run: " + failures + " step(s) failed");
        }
        System.exit(failures == 0 ? 0 : 1);
    }

    private static int expect(int exit, String... args) {
        return Main.execute(args) == exit ? 0 : 1;
    }

    private static Path pem(Path p, String type, byte[] der) throws IOException {
        String text = "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
        return Files.writeString(p, text, StandardCharsets.US_ASCII);
    }
}
