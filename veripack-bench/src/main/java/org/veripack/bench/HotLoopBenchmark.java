package org.veripack.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.veripack.core.ArtifactSink;
import org.veripack.core.FileDigest;
import org.veripack.core.PackageRejectedException;
import org.veripack.core.PackageVerifier;
import org.veripack.core.TrustPolicy;
import org.veripack.core.VerificationReport;
import org.veripack.core.pki.TestPki;
import org.veripack.core.sign.CsarSigner;

/**
 * The hot loop of verification and installation (hash + inflate + write) through the public API, next
 * to the floor it cannot beat (the JDK's SHA-256 over the same bytes in memory). One operation handles
 * one package with a single artifact of {@code sizeMiB} MiB; results are milliseconds per operation, so
 * throughput is {@code sizeMiB / score} MiB/ms. Read a regression as a growing gap to {@link #sha256Floor}.
 *
 * <ul>
 *   <li>{@link #sha256Floor}: {@code MessageDigest} SHA-256 over the artifact bytes in 256 KiB chunks;</li>
 *   <li>{@link #fileFloor}: the artifact file read through a {@code FileChannel} into a 64 KiB direct buffer
 *       handed to {@code MessageDigest} (bench/BareHash.java, the baseline of bench/run.sh): the floor of
 *       hashing a file from the page cache;</li>
 *   <li>{@link #fileDigest}: {@code FileDigest.hex} of the same file (the node's re-verification, package
 *       digests): read a gap to {@link #fileFloor} as a regression of the one file-hash loop;</li>
 *   <li>{@link #verifyStored}: {@code verifyCsar} of a CSAR whose artifact is STORED (the artifact hashed
 *       straight from the file, plus the manifest's CMS check; no package digest);</li>
 *   <li>{@link #verifyDeflated}: the same with a DEFLATED artifact (inflate + hash);</li>
 *   <li>{@link #extractDeflated}: {@code verifyAndExtract} of the DEFLATED CSAR into files
 *       (inflate + hash + write, no fsync), the installer's single pass.</li>
 * </ul>
 * Run: {@code mvn -B -Pbench -pl veripack-bench -am package -DskipTests && java -jar
 * veripack-bench/target/benchmarks.jar} (bench/README.md).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HotLoopBenchmark {
    private static final int CHUNK = 256 * 1024;

    @Param({"64"})
    public int sizeMiB;

    private Path dir;
    private byte[] artifact;
    private Path artifactFile;
    private final ByteBuffer fileBuffer = ByteBuffer.allocateDirect(64 * 1024);
    private Path stored;
    private Path deflated;
    private Path extractTo;
    private PackageVerifier verifier;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("veripack-jmh-");
        // base64 text of seeded random bytes: deflate compresses it to ~76 %, so inflation does real work
        byte[] raw = new byte[sizeMiB * 1024 * 1024 / 4 * 3];
        new Random(42).nextBytes(raw);
        artifact = Base64.getMimeEncoder().encode(raw);
        Path src = Files.createDirectories(dir.resolve("src/Artifacts"));
        artifactFile = Files.write(src.resolve("image.txt"), artifact);
        TestPki.Issued root = TestPki.cert("CN=Bench Root").ca(true).build();
        TestPki.Issued signer = TestPki.cert("CN=Bench Signer").issuedBy(root).build();
        stored = dir.resolve("stored.csar");
        deflated = dir.resolve("deflated.csar");
        CsarSigner.builder(signer.identity()).name("bench").version("1").storeArtifacts(true).build()
                .writeOption1(dir.resolve("src"), stored);
        CsarSigner.builder(signer.identity()).name("bench").version("1").build().writeOption1(dir.resolve("src"), deflated);
        extractTo = Files.createDirectories(dir.resolve("out"));
        verifier = PackageVerifier.create(TrustPolicy.withAnchors(List.of(root.certificate())), Clock.systemUTC());
        for (Path p : List.of(stored, deflated)) {
            VerificationReport r = verifier.verifyCsar(p);
            if (!r.accepted()) {
                throw new IllegalStateException("fixture not ACCEPTED: " + r);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    public byte[] sha256Floor() throws NoSuchAlgorithmException {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (int off = 0; off < artifact.length; off += CHUNK) {
            md.update(artifact, off, Math.min(CHUNK, artifact.length - off));
        }
        return md.digest();
    }

    @Benchmark
    public byte[] fileFloor() throws IOException, NoSuchAlgorithmException {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (FileChannel ch = FileChannel.open(artifactFile)) {
            while (ch.read(fileBuffer.clear()) >= 0) {
                md.update(fileBuffer.flip());
            }
        }
        return md.digest();
    }

    @Benchmark
    public String fileDigest() throws IOException {
        return FileDigest.hex(artifactFile, "SHA-256");
    }

    @Benchmark
    public VerificationReport verifyStored() throws IOException {
        return verifier.verifyCsar(stored);
    }

    @Benchmark
    public VerificationReport verifyDeflated() throws IOException {
        return verifier.verifyCsar(deflated);
    }

    @Benchmark
    public Object extractDeflated() throws IOException, PackageRejectedException {
        return verifier.verifyAndExtract(deflated, new FileSink(extractTo));
    }

    /** Writes files under a directory, replacing earlier ones (the benchmark's stand-in for staging). */
    private record FileSink(Path root) implements ArtifactSink {
        @Override
        public void directory(String path, int mode) throws IOException {
            Files.createDirectories(root.resolve(path));
        }

        @Override
        public OutputStream file(String path, int mode, long sizeBytes) throws IOException {
            return Files.newOutputStream(root.resolve(path), StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE);
        }

        @Override
        public void symlink(String path, String target) throws IOException {
            Files.deleteIfExists(root.resolve(path));
            Files.createSymbolicLink(root.resolve(path), Path.of(target));
        }
    }
}
