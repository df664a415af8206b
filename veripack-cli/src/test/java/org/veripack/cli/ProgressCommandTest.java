package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.cli.SignVerifyCommandTest.Run;
import org.veripack.core.pki.TestPki;

/**
 * Progress lines of the real commands on a package large enough to be hashed in several blocks: forced with
 * {@code --progress=always} they go to stderr, count up to 100 % and leave stdout (the {@code --json} contract) as
 * it is; with {@code --quiet}, {@code --progress=never}, or auto where stderr is not a terminal (what the launcher
 * tells the JVM) nothing is drawn.
 */
class ProgressCommandTest {
    private static final String AT = TestPki.DEFAULT_NOW.toString();
    /** Larger than the read-ahead threshold (4 MiB) and many hashing blocks. */
    private static final int LARGE_BYTES = 24 << 20;

    @TempDir Path dir;
    private Path root;
    private Path key;
    private Path cert;
    private Path chain;
    private Path pkg;
    private String terminalBefore;

    @BeforeEach
    void setUp() throws Exception {
        SignVerifyCommandTest.SignerFiles f = SignVerifyCommandTest.SignerFiles.write(dir);
        root = f.root();
        key = f.key();
        cert = f.cert();
        chain = f.chain();
        pkg = Files.createDirectories(dir.resolve("pkg"));
        Files.createDirectories(pkg.resolve("Files/bin"));
        Files.writeString(pkg.resolve("Files/bin/mmed"), "#!/bin/sh\necho mme\n");
        writeRandom(pkg.resolve("Files/image.bin"), LARGE_BYTES);
        // auto mode as the launcher runs it when stderr is not a terminal
        terminalBefore = System.getProperty(ProgressOptions.TERMINAL_PROPERTY);
        System.setProperty(ProgressOptions.TERMINAL_PROPERTY, "false");
    }

    @AfterEach
    void restore() {
        if (terminalBefore == null) {
            System.clearProperty(ProgressOptions.TERMINAL_PROPERTY);
        } else {
            System.setProperty(ProgressOptions.TERMINAL_PROPERTY, terminalBefore);
        }
    }

    private static void writeRandom(Path file, int bytes) throws IOException {
        Random random = new Random(42);
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int done = 0; done < bytes; done += block.length) {
                random.nextBytes(block);
                out.write(block, 0, Math.min(block.length, bytes - done));
            }
        }
    }

    private static Run cli(String... args) {
        return SignVerifyCommandTest.run(args);
    }

    private Path signCsar(String... extra) {
        Path out = dir.resolve("big.csar");
        List<String> args = new ArrayList<>(List.of("sign", "--key", key.toString(), "--cert", cert.toString(),
                "--chain", chain.toString(), "--csar", pkg.toString(), "--name", "acme-mme", "--version", "2.1",
                "--store", "--out", out.toString()));
        args.addAll(List.of(extra));
        Run r = cli(args.toArray(String[]::new));
        assertEquals(ExitCode.OK, r.exit(), r.err());
        assertEquals("", r.out(), "sign prints nothing on stdout");
        return out;
    }

    /** The percentages every drawing of {@code step} showed, in order. */
    private static List<Integer> percentages(String err, String command, String step) {
        Matcher m = Pattern.compile("veripack " + Pattern.quote(command) + ": " + Pattern.quote(step) + " +(\\d+)%").matcher(err);
        List<Integer> p = new ArrayList<>();
        while (m.find()) {
            p.add(Integer.parseInt(m.group(1)));
        }
        return p;
    }

    /** The step was drawn, counting up (never down) from below 100 % to 100 %, and its line was ended. */
    private static void assertCountsUpToHundred(String err, String command, String step) {
        List<Integer> p = percentages(err, command, step);
        assertTrue(p.size() >= 2, "drawn at least twice: " + p + "\n" + err);
        assertTrue(p.get(0) < 100, "first drawing before the end: " + p);
        for (int i = 1; i < p.size(); i++) {
            assertTrue(p.get(i) >= p.get(i - 1), "never counts down: " + p);
        }
        assertEquals(100, p.get(p.size() - 1), "ends at 100 %: " + p);
        Matcher last = Pattern.compile("veripack " + Pattern.quote(command) + ": " + Pattern.quote(step) + " +100%[^\\r\\n]*\\n")
                .matcher(err);
        assertTrue(last.find(), "the final drawing ends its line: " + err);
    }

    @Test
    void signVerifyAndInstallOfALargePackageCountUpToHundredPercentOnStderrOnly() throws Exception {
        Path csar = signCsar("--progress=always");
        Run signed = cli("sign", "--key", key.toString(), "--cert", cert.toString(), "--chain", chain.toString(), "--csar",
                pkg.toString(), "--name", "acme-mme", "--version", "2.1", "--store", "--progress=always",
                "--out", dir.resolve("again.csar").toString());
        assertEquals(ExitCode.OK, signed.exit(), signed.err());
        assertCountsUpToHundred(signed.err(), "sign", "hashing files");
        assertCountsUpToHundred(signed.err(), "sign", "writing the package");

        Run plain = cli("verify", "--trust", root.toString(), "--at", AT, "--json", csar.toString());
        Run drawn = cli("verify", "--trust", root.toString(), "--at", AT, "--json", "--progress=always", csar.toString());
        assertEquals(ExitCode.OK, drawn.exit(), drawn.err());
        assertCountsUpToHundred(drawn.err(), "verify", "hashing artifacts");
        assertEquals(plain.out(), drawn.out(), "stdout is the same JSON document with or without progress");
        assertEquals("ACCEPTED", drawn.json().get("verdict").asText());
        assertFalse(plain.err().contains("\r") || plain.err().contains("%"), "--json in auto mode: no progress: " + plain.err());

        Path node = dir.resolve("node");
        Run trust = cli("trust", "set", "--root", node.toString(), "--trust", root.toString());
        assertEquals(ExitCode.OK, trust.exit(), trust.err());
        Run install = cli("install", "--root", node.toString(), "--progress=always", csar.toString());
        assertEquals(ExitCode.OK, install.exit(), install.err());
        assertCountsUpToHundred(install.err(), "install", "verifying and writing artifacts");
        assertEquals("", install.out());
        assertTrue(install.err().lines().anyMatch(l -> l.startsWith("ACCEPTED acme-mme 2.1")),
                "the report starts on its own line: " + install.err());
    }

    @Test
    void detachedSignAndVerifyOfALargeFileCountUpToHundredPercent() throws Exception {
        Path file = pkg.resolve("Files/image.bin");
        Path sig = dir.resolve("image.bin.p7s");
        Run signed = cli("sign", "--key", key.toString(), "--cert", cert.toString(), "--chain", chain.toString(),
                "--detached", file.toString(), "--out", sig.toString(), "--progress=always");
        assertEquals(ExitCode.OK, signed.exit(), signed.err());
        assertCountsUpToHundred(signed.err(), "sign", "signing image.bin");
        Run verified = cli("verify", "--trust", root.toString(), "--at", AT, "--progress=always", file.toString(),
                "--signature", sig.toString());
        assertEquals(ExitCode.OK, verified.exit(), verified.err());
        assertCountsUpToHundred(verified.err(), "verify", "hashing image.bin");
    }

    @Test
    void quietNeverAndAutoWithoutATerminalDrawNothing() throws Exception {
        Path csar = signCsar();
        for (String[] options : List.of(new String[] {"--quiet", "--progress=always"}, new String[] {"--progress=never"},
                new String[] {"--progress=auto"}, new String[] {})) {
            List<String> args = new ArrayList<>(List.of("verify", "--trust", root.toString(), "--at", AT));
            args.addAll(List.of(options));
            args.add(csar.toString());
            Run r = cli(args.toArray(String[]::new));
            assertEquals(ExitCode.OK, r.exit(), r.err());
            assertFalse(r.err().contains("\r") || r.err().contains("hashing artifacts"), List.of(options) + ": " + r.err());
            assertTrue(r.err().startsWith("ACCEPTED acme-mme 2.1"), r.err());
        }
        Run sign = cli("sign", "--key", key.toString(), "--cert", cert.toString(), "--chain", chain.toString(), "--csar",
                pkg.toString(), "--name", "acme-mme", "--version", "2.1", "--store", "--quiet", "--progress=always",
                "--out", dir.resolve("quiet.csar").toString());
        assertEquals(ExitCode.OK, sign.exit(), sign.err());
        assertFalse(sign.err().contains("\r") || sign.err().contains("%"), sign.err());
    }

    @Test
    void aBadProgressValueIsAUsageError() {
        Run r = cli("verify", "--trust", root.toString(), "--progress=sometimes", dir.resolve("x.csar").toString());
        assertEquals(ExitCode.USAGE, r.exit(), r.err());
        assertTrue(r.err().contains("--progress"), r.err());
    }
}
