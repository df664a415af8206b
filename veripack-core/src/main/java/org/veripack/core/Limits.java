package org.veripack.core;

/**
 * Resource limits applied while reading a package; exceeding one is {@link FindingCode#LIMIT_EXCEEDED}.
 *
 * @param maxArtifacts      maximum number of archive entries
 * @param maxTotalBytes     maximum sum of uncompressed entry sizes, in bytes
 * @param maxExpansionRatio maximum uncompressed/compressed size ratio of one entry (deflate bombs)
 */
public record Limits(long maxArtifacts, long maxTotalBytes, long maxExpansionRatio) {
    /** DESIGN.md defaults: 100 000 artifacts, 64 GiB, ratio 200. */
    public static final Limits DEFAULT = new Limits(100_000, 68_719_476_736L, 200);

    public Limits {
        if (maxArtifacts <= 0 || maxTotalBytes <= 0 || maxExpansionRatio <= 0) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }
}
