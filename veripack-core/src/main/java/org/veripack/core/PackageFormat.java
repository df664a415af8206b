package org.veripack.core;

/** Container formats Veripack reads (the report's {@code format}; docs/reference.md "verify"). */
public enum PackageFormat {
    /** ETSI GS NFV-SOL 004 CSAR option 1: signed manifest with a CMS block. */
    CSAR_OPTION_1,
    /** ETSI GS NFV-SOL 004 CSAR option 2: the whole CSAR signed, {@code .cms} (and {@code .cert}) beside it. */
    CSAR_OPTION_2,
    /** Any file with a detached CMS SignedData ({@code FILE.p7s}, DER or PEM). */
    DETACHED_CMS,
    /** Debian repository chain: InRelease (OpenPGP) → Packages index → {@code .deb}. */
    APT_CHAIN
}
