package org.veripack.core.internal.manifest;

import java.util.Locale;
import java.util.Optional;

/**
 * Digest algorithm names as written in SOL004 manifests. Accepted spellings (case-insensitive):
 * {@code SHA-256}/{@code SHA256}, {@code SHA-384}/{@code SHA384}, {@code SHA-512}/{@code SHA512}, mapped
 * to the JCA names. Anything else (MD5, SHA-1, SHA3-*, unknown) has no mapping: the verifier reports it
 * as {@code ALGORITHM_REJECTED}, like a known algorithm the trust policy does not allow.
 */
public final class DigestAlgorithms {
    private DigestAlgorithms() { }

    /** The JCA name for a manifest spelling, or empty when the name is not a supported SHA-2 digest. */
    public static Optional<String> canonical(String manifestName) {
        String n = manifestName.trim().toUpperCase(Locale.ROOT).replace("_", "-");
        switch (n) {
            case "SHA-256": case "SHA256": return Optional.of("SHA-256");
            case "SHA-384": case "SHA384": return Optional.of("SHA-384");
            case "SHA-512": case "SHA512": return Optional.of("SHA-512");
            default: return Optional.empty();
        }
    }

    /** Digest length in bytes of a JCA SHA-2 name. */
    public static int lengthBytes(String jcaName) {
        switch (jcaName) {
            case "SHA-256": return 32;
            case "SHA-384": return 48;
            case "SHA-512": return 64;
            default: throw new IllegalArgumentException("not a supported digest: " + jcaName);
        }
    }
}
