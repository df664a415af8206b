package org.veripack.repo.tuf;

import java.util.Objects;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;

/**
 * A refusal of repository metadata or of a target by the TUF client (docs/repository.md "Finding codes"): the
 * finding it becomes in the node's report and audit log. Nothing the refused document said is trusted.
 */
public final class RepositoryException extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient Finding finding;

    public RepositoryException(FindingCode code, String subject, String detail) {
        this(code, subject, detail, null, null);
    }

    public RepositoryException(FindingCode code, String subject, String detail, String expected, String actual) {
        super(code + " " + subject + ": " + detail
                + (expected == null ? "" : " (expected " + expected + ", found " + actual + ")"));
        this.finding = new Finding(Objects.requireNonNull(code, "code"), subject, detail, expected, actual);
    }

    public FindingCode code() { return finding.code(); }

    public Finding finding() { return finding; }
}
