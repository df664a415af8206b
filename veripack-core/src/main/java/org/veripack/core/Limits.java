package org.veripack.core;

/**
 * Resource limits applied while reading a package; exceeding one is {@link FindingCode#LIMIT_EXCEEDED}.
 *
 * <p>The two index limits are checked before any entry is parsed, so that work and memory stay bounded
 * whatever the archive declares: {@code maxEntries} against the entry count of the end of central
 * directory record (the ZIP64 one when present) and against the central directory records actually
 * present; {@code maxHeaderBytes} against the declared central directory size and then against every
 * header byte the zip library reads to index the archive (central directory records, local header
 * extra fields). The defaults fit the {@code veripack} launcher's 128 MiB heap together (docs/reference.md
 * "Trust policy keys", {@code limits}, and "Performance").
 *
 * @param maxEntries        maximum number of zip entries (files, directories, links)
 * @param maxTotalBytes     maximum sum of uncompressed entry sizes, in bytes, counted on the bytes inflated
 * @param maxExpansionRatio maximum uncompressed/compressed size ratio of one entry (deflate bombs)
 * @param maxHeaderBytes    maximum bytes of zip headers read to index the archive: the central directory
 *                          plus the local headers' extra fields
 */
public record Limits(long maxEntries, long maxTotalBytes, long maxExpansionRatio, long maxHeaderBytes) {
    /** 100 000 entries, 64 GiB, ratio 200, 16 MiB of headers. */
    public static final Limits DEFAULT = new Limits(100_000, 68_719_476_736L, 200, 16L << 20);

    /**
     * @throws IllegalArgumentException when a limit is not positive
     */
    public Limits {
        if (maxEntries <= 0 || maxTotalBytes <= 0 || maxExpansionRatio <= 0 || maxHeaderBytes <= 0) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }
}
