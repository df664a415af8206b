package org.veripack.core;

import java.util.Objects;

/**
 * Thrown by the throwing verification calls when the verdict is REJECTED; carries the full report
 * (every finding, with its stable {@link FindingCode}).
 */
public final class PackageRejectedException extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient VerificationReport report;

    public PackageRejectedException(VerificationReport report) {
        super("package REJECTED: " + report.findings().stream().map(f -> f.code().name()).distinct().toList());
        this.report = Objects.requireNonNull(report);
    }

    public VerificationReport report() { return report; }
}
