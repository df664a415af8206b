package org.veripack.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.veripack.core.PackageVerifier;

/**
 * The training run of the launcher's class-data-sharing archive (AppCDS, JEP 310): {@code ./veripack} runs
 * {@code java -XX:DumpLoadedClassList=... -cp veripack-cli.jar org.veripack.cli.CdsTraining PKI_DIR} once per
 * build, so that later runs map the classes of the verify path (picocli, Commons Compress, Bouncy Castle, the
 * verifier) from the archive instead of loading and verifying them. It signs and verifies a tiny CSAR and a
 * detached file through the real CLI in a temporary directory, installs the CSAR into a temporary node root
 * and re-verifies it (best effort), and deletes everything. Exit 0 when every step gave the expected exit code.
 *
 * <p>The signer comes from {@code PKI_DIR} ({@code ca.pem}, {@code signer.pem}, {@code signer.key}): the
 * throw-away PKI kept in {@code veripack-cli/src/cds-training} (its README says why and how it was made), outside
 * the CLI jar, which mints no certificates. Without it the run fails and the launcher works without an archive,
 * only slower.
 */
public final class CdsTraining {
    private CdsTraining() { }

    public static void main(String[] args) throws IOException {
        Path pki = Path.of(args.length == 1 ? args[0] : "");
        Path ca = pki.resolve("ca.pem");
        Path cert = pki.resolve("signer.pem");
        Path key = pki.resolve("signer.key");
        if (args.length != 1 || !Files.isRegularFile(ca) || !Files.isRegularFile(cert) || !Files.isRegularFile(key)) {
            System.err.println("veripack: class-data training run: usage CdsTraining PKI_DIR (ca.pem, signer.pem, signer.key)");
            System.exit(2);
        }
        Path dir = Files.createTempDirectory("veripack-cds-");
        PrintStream out = System.out;
        PrintStream err = System.err;
        int failures = 0;
        try {
            PackageVerifier.warmUp(); // as Main.main does for verify: its classes belong in the archive too
            System.setOut(new PrintStream(OutputStream.nullOutputStream()));
            System.setErr(new PrintStream(OutputStream.nullOutputStream()));
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
}
