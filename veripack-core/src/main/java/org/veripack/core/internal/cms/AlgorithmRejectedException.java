package org.veripack.core.internal.cms;

/**
 * A digest, signature algorithm or public key is outside Veripack's algorithm policy (unknown OID,
 * MD5/SHA-1, RSA below the minimum size, EC key that is not a named P-256/P-384/P-521 curve, unexpected
 * parameters). Becomes an {@code ALGORITHM_REJECTED} finding.
 */
public final class AlgorithmRejectedException extends Exception {
    private static final long serialVersionUID = 1L;

    public AlgorithmRejectedException(String message) { super(message); }
}
