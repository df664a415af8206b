package org.veripack.core.internal.apt;

/** Untrusted repository input that cannot be parsed; the verifier turns it into {@code MALFORMED_PACKAGE}. */
public final class MalformedException extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedException(String message) { super(message); }

    public MalformedException(String message, Throwable cause) { super(message, cause); }
}
