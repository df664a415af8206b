package org.veripack.core;

import java.util.Objects;

/**
 * One problem found while verifying. Fail closed: every finding rejects the package.
 *
 * @param code     stable code (docs/reference.md "Finding codes")
 * @param subject  what the finding concerns: an artifact path ({@code Files/bin/mmed}), a certificate
 *                 subject DN, {@code manifest}, {@code signature}, {@code package}; never null
 * @param detail   one human-readable sentence; not part of the stable contract, tests must not assert it
 * @param expected the expected value when one applies (a digest in hex, a version), else null
 * @param actual   the value found when one applies, else null
 */
public record Finding(FindingCode code, String subject, String detail, String expected, String actual) {
    public Finding {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(detail, "detail");
    }

    /** A finding without expected/actual values. */
    public static Finding of(FindingCode code, String subject, String detail) {
        return new Finding(code, subject, detail, null, null);
    }

    /** A finding carrying typed expected and actual values (e.g. digests, versions). */
    public static Finding mismatch(FindingCode code, String subject, String detail, String expected, String actual) {
        return new Finding(code, subject, detail, expected, actual);
    }
}
