package org.veripack.core.internal.csar;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.zip.ZipMethod;
import org.veripack.core.ArtifactFetcher;
import org.veripack.core.ArtifactRecord;
import org.veripack.core.ArtifactSink;
import org.veripack.core.ArtifactType;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.ProgressListener;
import org.veripack.core.TrustPolicy;
import org.veripack.core.VerificationReport;
import org.veripack.core.WarningCode;
import org.veripack.core.internal.io.ChannelDigest;
import org.veripack.core.internal.io.PrefetchInputStream;
import org.veripack.core.internal.io.Streams;

/**
 * Carries out a {@link CsarPlan}: the I/O and threads of one verification, kept apart from what is checked. The
 * hashing pool (plain verification hashes in parallel, starting before the signature is checked; install hashes in
 * order, writing into the {@link ArtifactSink} in the same pass), read-ahead inflation of large entries, the
 * option-2 inner CSAR spooled to a private file, TOSCA.meta digests of files no manifest entry hashes, and external
 * artifacts fetched through the {@link ArtifactFetcher} (SOL004 §4.3.3). Digest mismatches and unreadable entries are
 * findings; only the environment's I/O failures (the sink, the package file) are exceptions.
 */
final class CsarExecutor implements AutoCloseable {
    /** At most this many threads hash artifacts (and the package digest) in one verification. */
    static final int HASH_THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

    /** Runs the package digest and the artifact hashes (bounded, daemon threads). */
    private final ExecutorService hash;
    /**
     * Inflates DEFLATED artifacts ahead of their hashing (at most one thread per artifact being hashed, reused between
     * artifacts); never interrupted: see {@link PrefetchInputStream}.
     */
    private final ExecutorService readAhead;
    private final TrustPolicy policy;
    /** Where external artifacts come from under {@code externalArtifacts: fetch}; null: the node's sealed copy. */
    private final ArtifactFetcher fetcher;
    /** Told the bytes of the hashing pass and of downloads; {@link ProgressListener#NONE} when nobody watches. */
    private final ProgressListener progress;

    /**
     * @param fetcher the external artifacts' source, or null for the node's re-verification of a sealed package copy
     *                (external artifacts recorded with their signed digests, neither fetched nor refused)
     */
    CsarExecutor(TrustPolicy policy, ArtifactFetcher fetcher, ProgressListener progress) {
        this.policy = policy;
        this.fetcher = fetcher;
        this.progress = progress;
        this.hash = Executors.newFixedThreadPool(HASH_THREADS, r -> {
            Thread t = new Thread(r, "veripack-hash");
            t.setDaemon(true);
            return t;
        });
        this.readAhead = PrefetchInputStream.newExecutor("veripack-inflate");
    }

    @Override
    public void close() {
        hash.shutdownNow();
        readAhead.shutdown(); // never interrupted: see PrefetchInputStream
    }

    /** Runs {@code task} on the hashing pool (the package digest, evidence beside the artifact hashes). */
    <T> Future<T> submit(Callable<T> task) {
        return hash.submit(task);
    }

    /** The result of a pool task; its {@link IOException} is rethrown as is. */
    static <T> T await(Future<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while hashing", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException("hashing task failed", e.getCause());
        }
    }

    /**
     * Plain verification: starts hashing every artifact of {@code plan} on the pool now, so that it overlaps the CMS
     * checks; {@link #hashArtifacts} collects the results in order.
     */
    List<Future<Hashed>> startHashing(ZipArchive archive, CsarPlan plan) {
        progress.begin("hashing artifacts", plan.hashTotal(), ProgressListener.Unit.BYTES);
        List<Future<Hashed>> speculative = new ArrayList<>();
        for (CsarPlan.Expected x : plan.expected.values()) {
            speculative.add(hash.submit(() -> hashOne(archive, x, null)));
        }
        return speculative;
    }

    /**
     * The hashing pass: the directories, then each artifact hashed (and, when {@code extractTo} is given, written into
     * it in the same pass) and compared with the manifest and TOSCA.meta digests; findings and records join {@code b}.
     *
     * @param installing  a sink was given (the progress names the writing pass when {@code extractTo} is it)
     * @param extractTo   the sink when the signature covers the artifacts and no finding was raised, else null
     * @param speculative {@link #startHashing}'s futures (plain verification), or null: hash here, in order
     */
    List<ArtifactRecord> hashArtifacts(ZipArchive archive, CsarPlan plan, VerificationReport.Builder b, boolean installing,
                                       ArtifactSink extractTo, List<Future<Hashed>> speculative) throws IOException {
        if (installing) {
            progress.begin(extractTo != null ? "verifying and writing artifacts" : "hashing artifacts", plan.hashTotal(),
                    ProgressListener.Unit.BYTES);
        }
        try {
            return hashAndCompare(archive, plan, b, extractTo, speculative);
        } finally {
            progress.end();
        }
    }

    /**
     * One artifact's outcome: its record (null when it could not be read) and findings; {@code totalLimit} when the
     * finding is the whole archive's size limit (reported once, however many artifacts cross it).
     */
    record Hashed(ArtifactRecord record, List<Finding> findings, boolean totalLimit) { }

    /**
     * @param speculative hashes already submitted for {@code expected}'s values in order (plain verification),
     *                    or null: hash here, in order, into {@code sink} when it is not null
     */
    private List<ArtifactRecord> hashAndCompare(ZipArchive archive, CsarPlan plan, VerificationReport.Builder b, ArtifactSink sink,
                                                List<Future<Hashed>> speculative) throws IOException {
        Map<String, CsarPlan.Expected> expected = plan.expected;
        Set<String> externalPaths = plan.externals.keySet();
        List<ArtifactRecord> records = new ArrayList<>();
        Set<String> paths = new TreeSet<>(expected.keySet());
        paths.addAll(externalPaths);
        for (String dir : directories(paths)) {
            int mode = CsarPlan.DIRECTORY_MODE;
            ArtifactRecord r = new ArtifactRecord(dir, ArtifactType.DIRECTORY, mode, 0, null, null, null);
            records.add(r);
            b.artifact(r);
            if (sink != null) {
                sink.directory(dir, mode);
            }
        }
        List<Hashed> results = new ArrayList<>();
        if (speculative != null) {
            for (Future<Hashed> f : speculative) {
                results.add(await(f));
            }
        } else {
            for (CsarPlan.Expected x : expected.values()) {
                results.add(hashOne(archive, x, sink));
            }
        }
        boolean totalLimitReported = false;
        for (Hashed h : results) {
            for (Finding f : h.findings()) {
                boolean total = h.totalLimit() && f.code() == FindingCode.LIMIT_EXCEEDED;
                if (total && totalLimitReported) {
                    continue;
                }
                totalLimitReported |= total;
                b.finding(f);
            }
            if (h.record() != null) {
                records.add(h.record());
                b.artifact(h.record());
            }
        }
        return records;
    }

    /** Every ancestor directory of an artifact path, sorted (parents before children). */
    private static Set<String> directories(Set<String> paths) {
        Set<String> dirs = new TreeSet<>();
        for (String path : paths) {
            dirs.addAll(PathRules.ancestors(path));
        }
        return dirs;
    }

    private Hashed hashOne(ZipArchive archive, CsarPlan.Expected x, ArtifactSink sink) throws IOException {
        ZipArchive.Entry e = x.entry();
        String alg = x.algorithm() != null ? x.algorithm() : "SHA-256";
        MessageDigest md = Digests.newDigest(alg);
        MessageDigest[] all = new MessageDigest[1 + x.also().size()]; // the manifest's, then each TOSCA.meta block's
        all[0] = md;
        for (int i = 0; i < x.also().size(); i++) {
            all[i + 1] = Digests.newDigest(x.also().get(i).algorithm());
        }
        List<Finding> findings = new ArrayList<>();
        long size = 0;
        String linkTarget = null;
        try {
            if (e.type() == ArtifactType.SYMLINK) {
                byte[] target = e.linkTarget().getBytes(StandardCharsets.UTF_8);
                linkTarget = e.linkTarget();
                for (MessageDigest d : all) {
                    d.update(target);
                }
                size = target.length;
                if (sink != null) {
                    sink.symlink(e.path(), linkTarget);
                }
            } else if (sink == null && e.zipEntry().getMethod() == ZipMethod.STORED.getCode()) {
                // plain verification of a STORED entry: straight from the file into the digests, on this thread
                size = archive.digestStored(e, progress == ProgressListener.NONE ? ChannelDigest.BlockCheck.NONE
                        : progress::advance, all);
            } else {
                try (InputStream in = readAhead(archive.open(e), e);
                     OutputStream file = sink != null ? sink.file(e.path(), x.mode(), e.zipEntry().getSize()) : null) {
                    // one pass: every block is hashed, then written to the sink (install)
                    OutputStream hashed = Streams.updating(all);
                    if (file != null) {
                        hashed = file;
                        for (MessageDigest d : all) {
                            hashed = new DigestOutputStream(hashed, d);
                        }
                    }
                    size = Streams.transfer(in, Streams.counting(hashed, progress));
                }
            }
        } catch (ZipArchive.LimitExceededException ex) {
            findings.add(Finding.of(FindingCode.LIMIT_EXCEEDED, ex.subject(), ex.getMessage()));
            return new Hashed(null, findings, ex.wholeArchive());
        } catch (ZipArchive.MalformedEntryException ex) {
            findings.add(Finding.of(FindingCode.MALFORMED_PACKAGE, e.path(), ex.getMessage()));
            return new Hashed(null, findings, false);
        }
        String actual = HexFormat.of().formatHex(md.digest());
        if (x.hashHex() != null && !x.hashHex().equals(actual)) {
            findings.add(Finding.mismatch(FindingCode.DIGEST_MISMATCH, e.path(), "recomputed " + alg + " differs from the manifest",
                    x.hashHex(), actual));
        }
        for (int i = 0; i < x.also().size(); i++) {
            compareMetaDigest(x.also().get(i), e.path(), HexFormat.of().formatHex(all[i + 1].digest()), findings::add);
        }
        ArtifactRecord record = new ArtifactRecord(e.path(), x.type(), x.mode(), size, alg, actual, linkTarget);
        return new Hashed(record, findings, false);
    }

    /**
     * A large DEFLATED entry is inflated ahead on another thread, so inflating and hashing (and writing,
     * on install) overlap; STORED entries and small ones are read directly.
     */
    private InputStream readAhead(InputStream in, ZipArchive.Entry e) {
        boolean deflated = e.zipEntry().getMethod() == ZipMethod.DEFLATED.getCode();
        return deflated && e.zipEntry().getSize() >= PrefetchInputStream.MIN_SOURCE_BYTES
                ? new PrefetchInputStream(in, readAhead) : in;
    }

    /**
     * Hashes the files TOSCA.meta blocks name that no manifest entry hashes (TOSCA.meta itself, the manifest,
     * certificates, unlisted files) and compares: {@code DIGEST_MISMATCH} naming the block.
     */
    static void checkToscaMetaDigests(ZipArchive archive, List<CsarPlan.MetaCheck> checks, VerificationReport.Builder b)
            throws IOException {
        for (CsarPlan.MetaCheck c : checks) {
            MessageDigest md = Digests.newDigest(c.algorithm());
            try {
                if (c.entry().type() == ArtifactType.SYMLINK) {
                    md.update(c.entry().linkTarget().getBytes(StandardCharsets.UTF_8));
                } else {
                    try (InputStream in = archive.open(c.entry())) {
                        Streams.transfer(in, Streams.updating(md));
                    }
                }
            } catch (ZipArchive.LimitExceededException ex) {
                b.finding(Finding.of(FindingCode.LIMIT_EXCEEDED, ex.subject(), ex.getMessage()));
                continue;
            } catch (ZipArchive.MalformedEntryException ex) {
                b.finding(Finding.of(FindingCode.MALFORMED_PACKAGE, c.entry().path(), ex.getMessage()));
                continue;
            }
            compareMetaDigest(c, c.entry().path(), HexFormat.of().formatHex(md.digest()), b::finding);
        }
    }

    /** {@code DIGEST_MISMATCH} on {@code subject} when {@code actualHex} differs from the block's {@code Hash}. */
    private static void compareMetaDigest(CsarPlan.MetaCheck c, String subject, String actualHex, java.util.function.Consumer<Finding> out) {
        if (!c.hashHex().equals(actualHex)) {
            out.accept(Finding.mismatch(FindingCode.DIGEST_MISMATCH, subject, "recomputed " + c.algorithm() + " differs from "
                    + c.origin(), c.hashHex(), actualHex));
        }
    }

    /**
     * The external artifacts' records. Fetched only under {@code externalArtifacts: fetch}, once the signature covers
     * the manifest and no finding was raised (a URI from an unverified manifest is never requested), one after the
     * other, each within the policy's time bounds and what is left of {@code limits.maxTotalBytes} after the archive's
     * bytes; hashed while the bytes arrive (with every digest a TOSCA.meta block adds) and written into {@code sink}
     * (install) in the same pass. A wrong digest is {@code DIGEST_MISMATCH}, a crossed bound {@code LIMIT_EXCEEDED}, a
     * download that fails {@code ARTIFACT_MISSING}; each names the URI. The node's sealed copy records the signed digests.
     */
    List<ArtifactRecord> externalArtifacts(Map<String, CsarPlan.External> externals, boolean covered, long archiveBytes,
                                           VerificationReport.Builder b, ArtifactSink sink) throws IOException {
        List<ArtifactRecord> records = new ArrayList<>();
        if (externals.isEmpty()) {
            return records;
        }
        if (fetcher == null) { // the node's sealed copy: nothing is fetched
            for (Map.Entry<String, CsarPlan.External> e : externals.entrySet()) {
                CsarPlan.External x = e.getValue();
                ArtifactRecord r = new ArtifactRecord(e.getKey(), ArtifactType.FILE, x.mode(), 0, x.algorithm(), x.hashHex(), null,
                        x.source().source());
                records.add(r);
                b.artifact(r);
            }
            return records;
        }
        if (!covered || b.hasFindings()) {
            b.warning(WarningCode.EXTERNAL_NOT_FETCHED, "package", externals.size() + " external artifact(s) not fetched: the package is rejected already");
            return records;
        }
        long budget = policy.limits().maxTotalBytes() - archiveBytes;
        for (Map.Entry<String, CsarPlan.External> e : externals.entrySet()) {
            ArtifactRecord r = fetchOne(e.getKey(), e.getValue(), Math.max(0, budget), b, sink);
            if (r != null) {
                budget -= r.sizeBytes();
                records.add(r);
                b.artifact(r);
            }
        }
        return records;
    }

    /**
     * One external artifact downloaded within {@code budget} bytes, hashed as it arrives (its digest and every TOSCA.meta
     * block's) and written into {@code sink} in the same pass; null after {@code LIMIT_EXCEEDED} or
     * {@code ARTIFACT_MISSING}.
     */
    private ArtifactRecord fetchOne(String slotPath, CsarPlan.External x, long budget, VerificationReport.Builder b,
                                    ArtifactSink sink) throws IOException {
        String subject = ZipArchive.printable(x.source().source());
        List<MessageDigest> mds = new ArrayList<>();
        mds.add(Digests.newDigest(x.algorithm()));
        for (CsarPlan.MetaCheck c : x.also()) {
            mds.add(Digests.newDigest(c.algorithm()));
        }
        long size;
        OutputStream file = sink != null ? sink.file(slotPath, x.mode(), -1) : null; // its failures are the environment's
        progress.begin("fetching " + subject, -1, ProgressListener.Unit.BYTES);
        try {
            OutputStream hashed = Streams.counting(Streams.updating(mds.toArray(MessageDigest[]::new)), progress);
            size = fetcher.fetch(x.source().uri(), budget, file == null ? hashed : tee(file, hashed));
        } catch (SinkException ex) {
            throw (IOException) ex.getCause();
        } catch (ArtifactFetcher.BoundExceededException ex) {
            b.finding(Finding.of(FindingCode.LIMIT_EXCEEDED, subject, "external artifact: " + ex.getMessage()));
            return null;
        } catch (IOException ex) {
            b.finding(Finding.of(FindingCode.ARTIFACT_MISSING, subject, "external artifact could not be fetched: " + ex.getMessage()));
            return null;
        } finally {
            progress.end();
            if (file != null) {
                file.close();
            }
        }
        String actual = HexFormat.of().formatHex(mds.get(0).digest());
        if (!x.hashHex().equals(actual)) {
            b.finding(Finding.mismatch(FindingCode.DIGEST_MISMATCH, subject, "recomputed " + x.algorithm()
                    + " of the downloaded bytes differs from the manifest", x.hashHex(), actual));
        }
        for (int i = 0; i < x.also().size(); i++) {
            compareMetaDigest(x.also().get(i), subject, HexFormat.of().formatHex(mds.get(i + 1).digest()), b::finding);
        }
        return new ArtifactRecord(slotPath, ArtifactType.FILE, x.mode(), size, x.algorithm(), actual, null, x.source().source());
    }

    /** An I/O failure of the install sink while fetching: the environment's (exit 3), not the download's. */
    private static final class SinkException extends IOException {
        private static final long serialVersionUID = 1L;

        SinkException(IOException cause) { super(cause.getMessage(), cause); }
    }

    /** Writes to {@code file} (failures become {@link SinkException}), then to {@code hashed}. */
    private static OutputStream tee(OutputStream file, OutputStream hashed) {
        return new OutputStream() {
            @Override public void write(int v) throws IOException {
                write(new byte[] {(byte) v}, 0, 1);
            }

            @Override public void write(byte[] buf, int off, int len) throws IOException {
                try {
                    file.write(buf, off, len);
                } catch (IOException ex) {
                    throw new SinkException(ex);
                }
                hashed.write(buf, off, len);
            }
        };
    }

    /**
     * A private (0600) temporary file for the option-2 inner CSAR: under the sink's scratch directory when installing (the
     * staging area), else the system's; the caller deletes it.
     */
    static Path newSpoolFile(ArtifactSink sink) throws IOException {
        Path scratch = sink == null ? null : sink.scratchDirectory();
        var privateFile = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
        return scratch != null ? Files.createTempFile(scratch, "veripack-inner-", ".csar", privateFile)
                : Files.createTempFile("veripack-inner-", ".csar", privateFile);
    }

    /** Copies the inner CSAR to {@code spool} through the limit-counting stream; false (with a finding) when it failed. */
    boolean spool(ZipArchive outer, ZipArchive.Entry csar, Path spool, VerificationReport.Builder b) throws IOException {
        if (csar == null) {
            b.finding(Finding.of(FindingCode.MALFORMED_PACKAGE, "package", "option-2 package without a .csar"));
            return false;
        }
        progress.begin("copying the inner CSAR", Math.max(-1, csar.zipEntry().getSize()), ProgressListener.Unit.BYTES);
        try (InputStream in = outer.open(csar); OutputStream out = Files.newOutputStream(spool)) {
            Streams.transfer(in, Streams.counting(out, progress));
            return true;
        } catch (ZipArchive.LimitExceededException e) {
            b.finding(Finding.of(FindingCode.LIMIT_EXCEEDED, csar.path(),
                    "package".equals(e.subject()) ? e.getMessage() : e.subject() + ": " + e.getMessage()));
        } catch (ZipArchive.MalformedEntryException e) {
            b.finding(Finding.of(FindingCode.MALFORMED_PACKAGE, csar.path(), e.getMessage()));
        } finally {
            progress.end();
        }
        return false;
    }
}
