package org.veripack.core.csar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.Limits;
import org.veripack.core.Verdict;
import org.veripack.core.VerificationReport;

/**
 * The zip index is bounded before it is parsed (docs/reference.md "Trust policy keys", {@code limits.maxEntries} and
 * {@code maxHeaderBytes}): each test builds an archive whose index attacks the reader's time or memory and
 * asserts {@code LIMIT_EXCEEDED} with the limit and the declared value, and that one entry or byte less
 * passes the limit. The same archives run under the launcher's heap in the CLI's {@code HostileZipHeapTest}.
 */
class ZipIndexLimitsTest {
    @TempDir Path tmp;

    private static VerificationReport verify(Path zip, Limits limits) throws Exception {
        return Fixtures.verifier(Fixtures.policy().toBuilder().limits(limits).build()).verifyCsar(zip);
    }

    private static Finding limitFinding(VerificationReport r) {
        assertEquals(Verdict.REJECTED, r.verdict(), r::toString);
        return r.findings().stream().filter(f -> f.code() == FindingCode.LIMIT_EXCEEDED).findFirst()
                .orElseThrow(() -> new AssertionError("no LIMIT_EXCEEDED in " + r));
    }

    private static Limits entries(long maxEntries) {
        return new Limits(maxEntries, Limits.DEFAULT.maxTotalBytes(), Limits.DEFAULT.maxExpansionRatio(), Limits.DEFAULT.maxHeaderBytes());
    }

    private static Limits headerBytes(long maxHeaderBytes) {
        return new Limits(Limits.DEFAULT.maxEntries(), Limits.DEFAULT.maxTotalBytes(), Limits.DEFAULT.maxExpansionRatio(), maxHeaderBytes);
    }

    @Test
    void threeHundredThousandEmptyEntriesAreRefusedFromTheEndRecord() throws Exception {
        Path zip = HostileZips.emptyEntries(tmp.resolve("300k.zip"), HostileZips.OVER_DEFAULT_ENTRIES);
        VerificationReport r = verify(zip, Limits.DEFAULT);
        Finding f = limitFinding(r);
        assertEquals("package", f.subject());
        assertEquals("100000", f.expected());
        assertEquals("300000", f.actual());
        assertEquals(1, r.findings().size(), () -> "nothing else is parsed: " + r);
    }

    @Test
    void anEndRecordDeclaringOneEntryDoesNotHideTheRecordsThatFollow() throws Exception {
        Path zip = HostileZips.endRecordUnderstatesEntries(tmp.resolve("lie.zip"), HostileZips.OVER_DEFAULT_ENTRIES);
        Finding f = limitFinding(verify(zip, Limits.DEFAULT));
        assertEquals("100000", f.expected());
        assertEquals("more than 100000", f.actual());
    }

    @Test
    void entryCountAtTheLimitPassesAndOneMoreIsRefused() throws Exception {
        Path atLimit = HostileZips.emptyEntries(tmp.resolve("at.zip"), 1000);
        VerificationReport r = verify(atLimit, entries(1000));
        assertFalse(r.has(FindingCode.LIMIT_EXCEEDED), r::toString);
        assertTrue(r.has(FindingCode.MALFORMED_PACKAGE), r::toString); // no manifest: the entries were read
        Path over = HostileZips.emptyEntries(tmp.resolve("over.zip"), 1001);
        assertEquals("1001", limitFinding(verify(over, entries(1000))).actual());
        Path lie = HostileZips.endRecordUnderstatesEntries(tmp.resolve("lie.zip"), 1001);
        assertEquals("more than 1000", limitFinding(verify(lie, entries(1000))).actual());
    }

    @Test
    void aDeclaredCentralDirectoryAboveTheLimitIsRefusedClassicAndZip64() throws Exception {
        Path classic = HostileZips.declaredCentralDirectorySize(tmp.resolve("classic.zip"), 0xfffffff0L);
        assertEquals(Long.toString(0xfffffff0L), limitFinding(verify(classic, Limits.DEFAULT)).actual());
        Path zip64 = HostileZips.declaredCentralDirectorySize(tmp.resolve("zip64.zip"), 1L << 62);
        assertEquals(Long.toString(1L << 62), limitFinding(verify(zip64, Limits.DEFAULT)).actual());
    }

    @Test
    void zip64EndRecordClaimsAreCountedUnsigned() throws Exception {
        Path huge = HostileZips.zip64ClaimsEntries(tmp.resolve("huge.zip"), 1L << 62);
        assertEquals(Long.toString(1L << 62), limitFinding(verify(huge, Limits.DEFAULT)).actual());
        Path negative = HostileZips.zip64ClaimsEntries(tmp.resolve("negative.zip"), -1L);
        assertEquals("18446744073709551615", limitFinding(verify(negative, Limits.DEFAULT)).actual());
    }

    @Test
    void centralDirectoryRecordsAboveTheHeaderLimitAreRefused() throws Exception {
        // 100 records of 46 + 1000 bytes: 104 600 bytes of central directory
        Path zip = HostileZips.longNames(tmp.resolve("names.zip"), 100, 1000);
        assertFalse(verify(zip, headerBytes(104_600)).has(FindingCode.LIMIT_EXCEEDED));
        Finding f = limitFinding(verify(zip, headerBytes(104_599)));
        assertEquals("104599", f.expected());
    }

    @Test
    void localExtraFieldsCountAgainstTheHeaderLimit() throws Exception {
        // a small central directory, but 40 local extra fields of 32 000 bytes (below the 0x8000 that
        // ZipLayout refuses) that the zip library keeps in memory: 1.28 MB
        Path zip = HostileZips.localExtraFields(tmp.resolve("extra.zip"), 40, 32_000);
        assertFalse(verify(zip, headerBytes(1_300_000)).has(FindingCode.LIMIT_EXCEEDED));
        VerificationReport r = verify(zip, headerBytes(1_000_000));
        assertEquals("1000000", limitFinding(r).expected());
        assertEquals(List.of(FindingCode.LIMIT_EXCEEDED), r.findings().stream().map(Finding::code).toList(),
                "refused as a limit, not as a malformed zip");
    }
}
