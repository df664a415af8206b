package org.veripack.core.internal.cms;

import java.util.ArrayList;
import java.util.List;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;

/**
 * The findings of one step of the CMS checklist, in the order the step found them, each with the key under
 * which {@link CmsSignatureVerifier} keeps only the first of equal findings (the same check reached twice,
 * e.g. a certificate on the paths of two signers, is reported once). Immutable; built with {@link Builder}.
 *
 * @param entries keyed findings, in order
 */
record StepFindings(List<Entry> entries) {
    static final StepFindings NONE = new StepFindings(List.of());

    /** A finding and its de-duplication key. */
    record Entry(String key, Finding finding) { }

    StepFindings {
        entries = List.copyOf(entries);
    }

    /** Subject that CMS structure and signed-attribute findings name (docs/reference.md "Finding codes"). */
    static final String SIGNATURE = "signature";

    boolean isEmpty() { return entries.isEmpty(); }

    /** One finding without expected/actual values, equal to another only with the same code, subject and detail. */
    static StepFindings of(FindingCode code, String subject, String detail) {
        return new Builder().add(code, subject, detail).build();
    }

    /** {@code findings} (e.g. from {@link TimestampTokenVerifier}), each equal to another only with the same code, subject and detail. */
    static StepFindings of(List<Finding> findings) {
        Builder b = new Builder();
        findings.forEach(b::add);
        return b.build();
    }

    /** Collects one step's findings. */
    static final class Builder {
        private final List<Entry> entries = new ArrayList<>();

        /** A finding without expected/actual values, keyed by code, subject and detail. */
        Builder add(FindingCode code, String subject, String detail) {
            return add(Finding.of(code, subject, detail));
        }

        /** {@code finding} as it is, keyed by code, subject and detail. */
        Builder add(Finding finding) {
            entries.add(new Entry(key(finding.code(), finding.subject() + "\u0000" + finding.detail()), finding));
            return this;
        }

        /** {@code finding}, reported once per {@code code} and {@code discriminator} whatever its detail. */
        Builder once(String discriminator, Finding finding) {
            entries.add(new Entry(key(finding.code(), discriminator), finding));
            return this;
        }

        Builder addAll(StepFindings other) {
            entries.addAll(other.entries());
            return this;
        }

        StepFindings build() { return new StepFindings(entries); }
    }

    private static String key(FindingCode code, String discriminator) {
        return code + "\u0000" + discriminator;
    }
}
