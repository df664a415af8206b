package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JVM options the {@code ./veripack} launcher chooses by command and input size (its "JIT" and "Large
 * inputs" comments; bench/README.md): the commands that verify compile after 3x the default number of calls;
 * every input below 16 MiB runs with the C1 compiler only and the warm-up thread;
 * an input of 16 MiB or more keeps C2 (the JDK's SHA-2 intrinsic) and turns the warm-up thread off
 * ({@link Main#WARM_UP_PROPERTY}). The real script runs from a copy of the project's layout with a
 * {@code java} on {@code PATH} that records its arguments; inputs are sparse files, so their size costs no disk.
 */
class LauncherJvmOptionsTest {
    private static final long MIB = 1024 * 1024;
    private static final String C1_ONLY = "-XX:TieredStopAtLevel=1";
    private static final String NO_WARM_UP = "-D" + Main.WARM_UP_PROPERTY + "=false";
    private static final String FEWER_COMPILES = "-XX:CompileThresholdScaling=3";

    @TempDir Path dir;
    private Path launcher;
    private Path recorded;

    @BeforeEach
    void layout() throws Exception {
        // the launcher as shipped, beside a built jar and its stamp (so it neither builds nor dumps an archive)
        Path home = Files.createDirectories(dir.resolve("home"));
        launcher = home.resolve("veripack");
        Files.copy(Path.of("../veripack"), launcher);
        Files.createDirectories(home.resolve("veripack-cli/src/main"));
        Files.write(home.resolve("pom.xml"), new byte[0]);
        Files.write(home.resolve("veripack-cli/pom.xml"), new byte[0]);
        Path target = Files.createDirectories(home.resolve("veripack-cli/target"));
        Files.write(target.resolve("veripack-cli.jar"), new byte[0]);
        Path stamp = Files.write(target.resolve(".built"), new byte[0]);
        Files.setLastModifiedTime(stamp, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        recorded = dir.resolve("java-args.txt");
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path java = bin.resolve("java");
        // the class-data archive's training run fails (the launcher then runs without one); the command's
        // own java records its arguments
        Files.writeString(java, "#!/bin/sh\ncase \"$*\" in *DumpLoadedClassList*|*Xshare:dump*) exit 1 ;; esac\n"
                + "printf '%s\\n' \"$@\" > '" + recorded + "'\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private List<String> jvmOptions(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", launcher.toString()));
        cmd.addAll(List.of(args));
        // relative paths in args are relative to the temporary directory; no record left from an earlier call
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        Files.deleteIfExists(recorded);
        pb.environment().put("PATH", dir.resolve("bin") + ":/usr/bin:/bin");
        pb.environment().remove("VERIPACK_JAVA_OPTS");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(1, TimeUnit.MINUTES), "the launcher did not finish");
        assertEquals(0, p.exitValue(), out);
        List<String> all = Files.readAllLines(recorded);
        // the JVM's options are the arguments before -jar
        return all.subList(0, all.indexOf("-jar"));
    }

    private Path sparse(Path file, long bytes) throws Exception {
        Files.createDirectories(file.getParent());
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(bytes);
        }
        return file;
    }

    /** Every input below 16 MiB: C1 only, the warm-up thread on. */
    private static void assertSmallRule(List<String> opts) {
        assertTrue(opts.contains(C1_ONLY), opts::toString);
        assertFalse(opts.contains(NO_WARM_UP), opts::toString);
    }

    /** An input of 16 MiB or more: C2 kept, the warm-up thread off. */
    private static void assertLargeRule(List<String> opts) {
        assertFalse(opts.contains(C1_ONLY), opts::toString);
        assertTrue(opts.contains(NO_WARM_UP), opts::toString);
    }

    /** Size unknown or not measured: the JVM's defaults for both. */
    private static void assertNoSizeRule(List<String> opts) {
        assertFalse(opts.contains(C1_ONLY), opts::toString);
        assertFalse(opts.contains(NO_WARM_UP), opts::toString);
    }

    @Test
    void verifyOfSmallFilesRunsC1OnlyWithTheWarmUp() throws Exception {
        Path pkg = sparse(dir.resolve("small.csar"), 16 * MIB - 1);
        List<String> opts = jvmOptions("verify", "--trust", pkg.toString(), pkg.toString());
        assertSmallRule(opts);
        assertTrue(opts.contains(FEWER_COMPILES), opts::toString);
    }

    @Test
    void verifyOfALargeFileKeepsC2WithoutTheWarmUp() throws Exception {
        Path small = sparse(dir.resolve("root.pem"), 1000);
        Path pkg = sparse(dir.resolve("large.bin"), 16 * MIB);
        List<String> opts = jvmOptions("verify", "--trust", small.toString(), pkg.toString(), "--signature", small.toString());
        assertLargeRule(opts);
    }

    @Test
    void anOptionsValueCountsInEitherSpelling() throws Exception {
        Path small = sparse(dir.resolve("keyring.gpg"), 1000);
        Path packages = sparse(dir.resolve("Packages"), 16 * MIB);
        for (String[] args : List.of(
                new String[] {"verify", "--keyring", small.toString(), "--apt-release", small.toString(), "--apt-packages", packages.toString()},
                new String[] {"verify", "--keyring=" + small, "--apt-release=" + small, "--apt-packages=" + packages})) {
            List<String> opts = jvmOptions(args);
            assertLargeRule(opts);
        }
    }

    @Test
    void aNodeRootBeginningWithADashIsStillMeasured() throws Exception {
        Path node = dir.resolve("-node");
        Path slot = sparse(node.resolve("a/Artifacts/large.bin"), 16 * MIB).getParent().getParent();
        Files.createSymbolicLink(node.resolve("current"), slot.getFileName());
        for (String[] args : List.of(new String[] {"verify-installed", "--root", "-node"},
                new String[] {"run", "--env", "A=1", "--root=-node", "bin/app"})) {
            List<String> opts = jvmOptions(args);
            assertLargeRule(opts);
            assertTrue(opts.contains(FEWER_COMPILES), opts::toString);
        }
        // after the program path every argument is the program's: its --root is not the node's
        List<String> opts = jvmOptions("run", "bin/app", "--root", "-node");
        assertNoSizeRule(opts);
    }

    @Test
    void installFollowsThePackagesSize() throws Exception {
        Path node = Files.createDirectories(dir.resolve("node"));
        List<String> opts = jvmOptions("install", "--root", node.toString(), sparse(dir.resolve("small.csar"), MIB).toString());
        assertSmallRule(opts);
        assertTrue(opts.contains(FEWER_COMPILES), opts::toString);

        opts = jvmOptions("install", "--root", node.toString(), sparse(dir.resolve("large.csar"), 16 * MIB).toString());
        assertLargeRule(opts);
        assertTrue(opts.contains(FEWER_COMPILES), opts::toString);
    }

    @Test
    void guardOfASlotFollowsTheSlotsSize() throws Exception {
        Path node = dir.resolve("node");
        Path slotA = sparse(node.resolve("a/Artifacts/small.bin"), MIB).getParent().getParent();
        Files.createSymbolicLink(node.resolve("current"), slotA.getFileName());
        List<String> opts = jvmOptions("verify-installed", "--root", node.toString());
        assertSmallRule(opts);

        sparse(slotA.resolve("Artifacts/large.bin"), 16 * MIB);
        opts = jvmOptions("run", "--root=" + node, "/bin/true", "--root", "elsewhere");
        assertLargeRule(opts);
    }

    @Test
    void otherCommandsAndUnknownSizesGetNeither() throws Exception {
        for (String[] args : List.of(new String[] {"sign", "--help"}, new String[] {"verify-installed", "--root", "/nonexistent"},
                new String[] {"update", "--root", "/nonexistent"})) {
            List<String> opts = jvmOptions(args);
            assertNoSizeRule(opts);
            assertEquals(!args[0].equals("sign"), opts.contains(FEWER_COMPILES), opts::toString);
        }
    }
}
