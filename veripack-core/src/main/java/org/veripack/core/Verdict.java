package org.veripack.core;

/** The outcome of a verification: {@link #ACCEPTED} only when the report holds no finding. */
public enum Verdict {
    ACCEPTED,
    REJECTED
}
