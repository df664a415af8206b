package org.veripack.core;

/**
 * A trust policy (or other operator configuration) is invalid, unsafe or unreadable. The CLI maps it
 * to exit code 2. The message names the offending file or key.
 */
public final class PolicyException extends Exception {
    private static final long serialVersionUID = 1L;

    public PolicyException(String message) { super(message); }

    public PolicyException(String message, Throwable cause) { super(message, cause); }
}
