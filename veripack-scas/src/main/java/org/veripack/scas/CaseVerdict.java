package org.veripack.scas;

/** Outcome of one SCAS test case. */
public enum CaseVerdict {
    /** The product behaved as TS 33.117 §4.2.3.3.5 expects. */
    PASS,
    /** The product did not: the case's evidence shows what it did instead. */
    FAIL,
    /** The case could not be run; {@link CaseResult#notRunReason()} says why (never counted as PASS). */
    NOT_RUN
}
