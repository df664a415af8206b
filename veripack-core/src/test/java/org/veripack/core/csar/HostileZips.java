package org.veripack.core.csar;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.veripack.core.Limits;

/**
 * TEST ONLY: zips whose index alone is an attack on the reader's time and memory (CWE-400/CWE-770), built
 * with {@link RawZip}. Used in process by {@code ZipIndexLimitsTest} and in a JVM with the launcher's heap
 * by the CLI's {@code HostileZipHeapTest}.
 */
public final class HostileZips {
    private HostileZips() { }

    /** The hostile entry count: three times the default {@link Limits#maxEntries()}. */
    public static final int OVER_DEFAULT_ENTRIES = 300_000;

    /**
     * {@code n} empty STORED files, as {@code zip -r} writes a directory of empty files (ZIP64 end record
     * once {@code n} passes 65 535): 300 000 of them are a 27 MB file.
     */
    public static Path emptyEntries(Path out, int n) throws IOException {
        return empty(n).write(out);
    }

    /** {@code n} empty files whose end records declare only one entry (the central directory holds all). */
    public static Path endRecordUnderstatesEntries(Path out, int n) throws IOException {
        RawZip z = empty(n);
        z.zip64EndEntriesDelta = null;
        z.declaredEntries = 1L;
        return z.write(out);
    }

    /** Ten files whose end record declares a central directory of {@code declaredBytes} (ZIP64 when above 4 GiB). */
    public static Path declaredCentralDirectorySize(Path out, long declaredBytes) throws IOException {
        RawZip z = empty(10);
        z.declaredCentralDirectorySize = declaredBytes;
        z.zip64EndEntriesDelta = declaredBytes > 0xffffffffL ? 0L : null;
        return z.write(out);
    }

    /** Ten files whose ZIP64 end record claims {@code declaredEntries} entries. */
    public static Path zip64ClaimsEntries(Path out, long declaredEntries) throws IOException {
        RawZip z = empty(10);
        z.zip64EndEntriesDelta = 0L;
        z.declaredEntries = declaredEntries;
        return z.write(out);
    }

    /**
     * {@code n} empty files each with a local-header-only extra field of {@code extraBytes} (at most 65 535):
     * the central directory stays small, but a reader that keeps local extra fields holds
     * {@code n * extraBytes} bytes.
     */
    public static Path localExtraFields(Path out, int n, int extraBytes) throws IOException {
        RawZip z = empty(n);
        for (RawZip.Entry e : z.entries) {
            e.localExtra = RawZip.extraField(0xcafe, extraBytes - 4);
        }
        return z.write(out);
    }

    /**
     * {@code n} empty files named {@code nameBytes} long each: a central directory of about
     * {@code n * (46 + nameBytes)} bytes.
     */
    public static Path longNames(Path out, int n, int nameBytes) throws IOException {
        RawZip z = empty(n);
        for (RawZip.Entry e : z.entries) {
            e.name = e.name + "x".repeat(nameBytes - e.name.length());
        }
        return z.write(out);
    }

    private static RawZip empty(int n) {
        RawZip z = new RawZip();
        byte[] none = new byte[0];
        for (int i = 0; i < n; i++) {
            z.entries.add(new RawZip.Entry("f" + (10_000_000 + i), 0100644, none)); // (String.format is slow here)
        }
        z.zip64EndEntriesDelta = n > 0xfffe ? 0L : null;
        return z;
    }

    /**
     * The most a package within the default limits makes the verifier hold before it finds the signature
     * invalid: {@code n} one-byte files named {@code nameBytes} long, and a root manifest of at most
     * {@code manifestBytes} listing as many of them as fit (with wrong digests), closed by a CMS block that
     * is not CMS.
     */
    public static Path listedInManifest(Path out, int n, int nameBytes, int manifestBytes) throws IOException {
        RawZip z = new RawZip();
        byte[] one = {'x'};
        StringBuilder mf = new StringBuilder("metadata:\n  vnf_product_name: big\n  vnf_provider_id: hostile\n"
                + "  vnf_package_version: 1\n  vnf_release_date_time: 2026-01-01T00:00:00Z\n\n");
        String cms = "-----BEGIN CMS-----\nAAAA\n-----END CMS-----\n";
        for (int i = 0; i < n; i++) {
            String name = "Files/" + (10_000_000 + i);
            name = name + "x".repeat(Math.max(0, nameBytes - name.length()));
            z.entries.add(new RawZip.Entry(name, 0100644, one));
            String block = "Source: " + name + "\nAlgorithm: SHA-256\nHash: " + "0".repeat(64) + "\n\n";
            if (mf.length() + block.length() + cms.length() <= manifestBytes) {
                mf.append(block);
            }
        }
        z.entries.add(0, new RawZip.Entry("hostile.mf", 0100644, (mf + cms).getBytes(StandardCharsets.US_ASCII)));
        z.zip64EndEntriesDelta = z.entries.size() > 0xfffe ? 0L : null;
        return z.write(out);
    }
}
