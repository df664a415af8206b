package org.veripack.core.csar;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.veripack.core.FindingCode;
import org.veripack.core.Limits;
import org.veripack.core.TrustPolicy;
import org.veripack.core.pki.TestPki;

/**
 * TEST ONLY: the archive attack corpus (docs/threat-model.md T1, archive parser differentials). Each case takes a genuine signed option-1
 * CSAR and performs one attack on its bytes; the manifest and its signature are left intact, so the
 * only reason to refuse the result is the attack itself. Used by {@code ArchiveAttackCorpusTest}
 * (verify) and by the node's install test (install leaves {@code current} unchanged).
 */
public final class ArchiveAttackCorpus {
    /** Builds the attack from a genuine CSAR into {@code out}. */
    @FunctionalInterface
    public interface Attack {
        void build(Path genuine, Path dir, Path out) throws IOException;
    }

    /**
     * @param name       the attack, used as the test name
     * @param reproduces the public case it reproduces
     * @param expected   the finding code the verdict must carry
     * @param limits     policy limits for this case, or empty for the defaults
     */
    public record Case(String name, String reproduces, FindingCode expected, Optional<Limits> limits, Attack attack) {
        /** Writes the attack package under {@code dir} and returns it. */
        public Path build(Path dir) throws IOException {
            Path genuine = genuineCsar(Files.createDirectories(dir.resolve("genuine")));
            Path out = dir.resolve(name + ".csar");
            attack.build(genuine, dir, out);
            return out;
        }

        @Override
        public String toString() { return name; }
    }

    private ArchiveAttackCorpus() { }

    /** The trust anchor every corpus package chains to. */
    public static TrustPolicy policy(Optional<Limits> limits) {
        TrustPolicy p = Fixtures.policy();
        return limits.map(l -> p.toBuilder().limits(l).build()).orElse(p);
    }

    public static Clock clock() { return Fixtures.CLOCK; }

    /** Writes the trust anchor certificate as PEM to {@code file} (for CLI tests). */
    public static Path writeTrustAnchor(Path file) {
        TestPki.writeCertificatesPem(file, Fixtures.ROOT.certificate());
        return file;
    }

    /** A genuine option-1 CSAR (acme-mme 2.1) written under {@code dir}. */
    public static Path genuineCsar(Path dir) throws IOException {
        return Fixtures.genuineCsar(dir);
    }

    /** A genuine option-1 CSAR of the same package with another version. */
    public static Path genuineCsar(Path dir, String version) throws IOException {
        Path out = dir.resolve("acme-mme-" + version + ".csar");
        Fixtures.signer(Fixtures.LEAF).version(version).build()
                .writeOption1(Fixtures.packageDir(Files.createTempDirectory(dir, "src")), out);
        return out;
    }

    private static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    private static Case raw(String name, String reproduces, FindingCode expected, java.util.function.Consumer<RawZip> change) {
        return new Case(name, reproduces, expected, Optional.empty(), (genuine, dir, out) -> {
            RawZip z = RawZip.of(genuine);
            change.accept(z);
            z.write(out);
        });
    }

    private static Case added(String name, String reproduces, FindingCode expected, RawZip.Entry... extra) {
        return raw(name, reproduces, expected, z -> z.entries.addAll(List.of(extra)));
    }

    private static RawZip.Entry file(String name, String text) {
        return new RawZip.Entry(name, 0100644, utf8(text));
    }

    /** Every case, in the order of docs/threat-model.md. */
    public static List<Case> cases() {
        String conf = "Files/mme.conf";
        List<Case> c = new ArrayList<>();
        // --- duplicate entry names ---
        c.add(added("duplicateEntryExactName", "Android Master Key, CVE-2013-4787 (two entries, one name)",
                FindingCode.ARTIFACT_DUPLICATE, file(conf, "plmn: 99999\n")));
        c.add(added("duplicateEntryCaseVariant", "git CVE-2014-9390 (case-insensitive file system collision)",
                FindingCode.ARTIFACT_DUPLICATE, file("files/MME.conf", "plmn: 99999\n")));
        c.add(added("duplicateEntryUnicodeNfcNfd", "git CVE-2014-9390 (HFS+ Unicode normalisation collision)",
                FindingCode.ARTIFACT_DUPLICATE, file("Files/caf\u00e9.txt", "a"), file("Files/cafe\u0301.txt", "b")));
        c.add(added("duplicateEntryDotSlash", "Android Master Key CVE-2013-4787, './x' spelling",
                FindingCode.ARTIFACT_DUPLICATE, file("./" + conf, "plmn: 99999\n")));
        c.add(added("duplicateEntryTrailingSlash", "Android Master Key CVE-2013-4787, 'x/' spelling",
                FindingCode.ARTIFACT_DUPLICATE, new RawZip.Entry(conf + "/", 040755, new byte[0])));
        c.add(added("duplicateEntryBackslash", "zip-slip (Snyk 2018), Windows separator spelling of an existing name",
                FindingCode.UNSAFE_PATH, file("Files\\mme.conf", "plmn: 99999\n")));
        // --- local header vs central directory ---
        c.add(raw("localHeaderNameDiffersFromCentral", "Android bug 9950697 (local name/length differs from central)",
                FindingCode.MALFORMED_PACKAGE, z -> z.entry(conf).localName = utf8("Files/mme.cong")));
        c.add(raw("localHeaderSizesDifferFromCentral", "Android bug 9950697 (streaming and central readers see other data)",
                FindingCode.MALFORMED_PACKAGE, z -> {
                    RawZip.Entry e = z.entry(conf);
                    e.localCompressedSize = (long) e.data.length - 12;
                    e.localSize = (long) e.data.length - 12;
                }));
        c.add(raw("localHeaderMethodDiffersFromCentral", "Android bug 9950697 family (method only in one header)",
                FindingCode.MALFORMED_PACKAGE, z -> z.entry(conf).localMethod = 8));
        c.add(raw("localExtraFieldLengthAtLeast0x8000", "Android bug 9695860 (extra length read as a signed short)",
                FindingCode.MALFORMED_PACKAGE, z -> z.entry(conf).localExtra = RawZip.extraField(0xcafe, 0x8000)));
        // --- bytes outside the structure ---
        c.add(raw("bytesBeforeFirstEntry", "Janus, CVE-2017-13156 (DEX prepended to a signed APK)",
                FindingCode.MALFORMED_PACKAGE, z -> z.prefix = utf8("dex\n035\0#!/bin/sh\nrm -rf /\n")));
        c.add(raw("bytesBetweenEntries", "Janus CVE-2017-13156 family (data only a sequential reader sees)",
                FindingCode.MALFORMED_PACKAGE, z -> z.entries.get(0).after = utf8("PK\u0003\u0004 hidden payload")));
        c.add(raw("bytesBeforeCentralDirectory", "Janus CVE-2017-13156 family (data after the last entry)",
                FindingCode.MALFORMED_PACKAGE, z -> z.beforeCentralDirectory = utf8("hidden payload")));
        c.add(raw("bytesBetweenCentralDirectoryAndEndRecord", "APPNOTE 4.3.16 (unaccounted bytes, parser differential)",
                FindingCode.MALFORMED_PACKAGE, z -> z.afterCentralDirectory = utf8("hidden payload")));
        c.add(raw("bytesAfterEndOfCentralDirectory", "GIFAR-style appended polyglot (Black Hat USA 2008)",
                FindingCode.MALFORMED_PACKAGE, z -> z.afterEnd = utf8("<script>payload</script>")));
        c.add(raw("twoEndOfCentralDirectoryRecords", "Gynvael Coldwind, 'ZIP file format pitfalls' (readers pick different EOCDs)",
                FindingCode.MALFORMED_PACKAGE, z -> z.duplicateEnd = true));
        c.add(raw("zip64EndRecordDisagreesWithClassic", "Info-ZIP CVE-2014-8141 class (ZIP64 vs classic fields)",
                FindingCode.MALFORMED_PACKAGE, z -> z.zip64EndEntriesDelta = 1L));
        c.add(raw("zip64LocalSizesDisagreeWithCentral", "Info-ZIP CVE-2014-8141 class (ZIP64 extra vs central sizes)",
                FindingCode.MALFORMED_PACKAGE, z -> {
                    RawZip.Entry e = z.entry(conf);
                    e.localSize = (1L << 32) + e.data.length;
                    e.localCompressedSize = (1L << 32) + e.data.length;
                }));
        // --- entries a verifier cannot read the way others do ---
        c.add(raw("encryptedEntry", "ZipCrypto entries (APPNOTE 4.4.4 bit 0): content the verifier cannot hash",
                FindingCode.MALFORMED_PACKAGE, z -> z.entry(conf).flags = 1));
        c.add(raw("unsupportedCompressionMethod", "method 12/bzip2 only some readers decode (APPNOTE 4.4.5)",
                FindingCode.MALFORMED_PACKAGE, z -> {
                    z.entry(conf).localMethod = 12;
                    z.entry(conf).centralMethod = 12;
                }));
        // --- names ---
        c.add(added("nameWithNul", "CWE-158 (C readers truncate at NUL: 'Files/mme.conf\\0.txt')",
                FindingCode.UNSAFE_PATH, file(conf + "\0.txt", "plmn: 99999\n")));
        c.add(added("nameWithCarriageReturnAndLineFeed", "CWE-117 (names that forge log and manifest lines)",
                FindingCode.UNSAFE_PATH, file("Files/x\r\nSource: Files/evil", "x")));
        c.add(added("nameWithDotDot", "zip-slip (Snyk 2018)",
                FindingCode.UNSAFE_PATH, file("Files/../../../etc/cron.d/evil", "* * * * * root sh")));
        c.add(added("absoluteName", "zip-slip (Snyk 2018), absolute variant",
                FindingCode.UNSAFE_PATH, file("/etc/passwd", "root::0:0::/:/bin/sh")));
        c.add(added("driveLetterName", "zip-slip (Snyk 2018), Windows drive variant",
                FindingCode.UNSAFE_PATH, file("C:/Windows/System32/evil.dll", "MZ")));
        // --- links, devices, modes ---
        c.add(raw("symlinkEscape", "zip-slip (Snyk 2018) symlink variant; tar symlink escapes",
                FindingCode.UNSAFE_PATH, z -> z.entry("Files/bin/mme").data = utf8("../../../../etc/shadow")));
        c.add(added("symlinkThenFileWrittenThroughIt", "CVE-2021-21272 (ORAS: symlink, then a file written through it)",
                FindingCode.UNSAFE_PATH, new RawZip.Entry("Files/lnk", 0120777, utf8("bin")),
                file("Files/lnk/mmed", "#!/bin/sh\necho owned\n")));
        c.add(added("hardLinkEntry", "hard links in extra fields (ASi 0x756e, as restored by Info-ZIP)",
                FindingCode.UNSAFE_PATH, withExtra(file("Files/hard", ""), RawZip.asiLinkExtra("/etc/shadow"))));
        c.add(added("deviceEntry", "device-node extraction (tar CVE-2001-1267 class)",
                FindingCode.UNSAFE_PATH, new RawZip.Entry("Files/dev/sda", 0060600, new byte[0])));
        c.add(added("fifoEntry", "FIFO entries that hang readers (tar/libarchive class)",
                FindingCode.UNSAFE_PATH, new RawZip.Entry("Files/dev/fifo", 0010644, new byte[0])));
        c.add(raw("setuidEntry", "setuid root binaries from packages (CWE-250)",
                FindingCode.UNSAFE_PATH, z -> z.entry("Files/bin/mmed").unixMode = 0104755));
        // --- sizes ---
        c.add(new Case("deflateBomb", "David Fifield, 'A better zip bomb' (2019), CVE-2019-13232",
                FindingCode.LIMIT_EXCEEDED, Optional.empty(), ArchiveAttackCorpus::signedBomb));
        c.add(new Case("packageOverPolicyLimits", "unbounded archives (CWE-400): more entries than the policy allows",
                FindingCode.LIMIT_EXCEEDED, Optional.of(new Limits(3, 1L << 30, 200, 1L << 20)),
                (genuine, dir, out) -> Files.copy(genuine, out)));
        c.add(raw("artifactLargerThan4GiBDeclared", "RAUC > 2 GiB length overflow; ZIP64 size truncated to int",
                FindingCode.MALFORMED_PACKAGE, z -> {
                    RawZip.Entry e = z.entry(conf);
                    e.deflate = true;
                    e.zip64 = true;
                    e.centralSize = (1L << 32) + e.data.length; // truncated to int, it equals the real size
                }));
        return c;
    }

    private static RawZip.Entry withExtra(RawZip.Entry e, byte[] extra) {
        e.localExtra = extra;
        e.centralExtra = extra;
        return e;
    }

    /** A properly signed package whose listed artifact is 2 MiB of zeros (deflates over 1000:1). */
    private static void signedBomb(Path genuine, Path dir, Path out) throws IOException {
        Path src = Fixtures.packageDir(Files.createTempDirectory(dir, "bomb"));
        Files.write(src.resolve("Files/zeros.bin"), new byte[2 * 1024 * 1024]);
        Fixtures.signer(Fixtures.LEAF).build().writeOption1(src, out);
    }
}
