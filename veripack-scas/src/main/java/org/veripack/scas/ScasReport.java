package org.veripack.scas;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The result of one {@code veripack scas} run: the tested product, the genuine package, the harness
 * and every case. Written as HTML, JUnit XML and JSON by {@link ScasReports}.
 *
 * @param harnessVersion  version of the harness ({@code veripack-scas 0.1.0})
 * @param startedAt       start of the run (UTC)
 * @param finishedAt      end of the run (UTC)
 * @param host            host name the harness ran on
 * @param user            OS user the harness ran as
 * @param target          the target as given ({@code node:/srv/node} or {@code cmd})
 * @param product         identity of the product under test: the install command (template) and, for
 *                        {@code node:}, the veripack command line
 * @param packageFile     file name of the genuine package
 * @param packageSha256   hex SHA-256 of the genuine package
 * @param packageName     package name from its manifest, or null when it could not be read
 * @param packageVersion  package version from its manifest, or null
 * @param cases           every case in the order run
 */
public record ScasReport(String harnessVersion, Instant startedAt, Instant finishedAt, String host, String user,
                         String target, String product, String packageFile, String packageSha256,
                         String packageName, String packageVersion, List<CaseResult> cases) {
    public ScasReport {
        Objects.requireNonNull(harnessVersion, "harnessVersion");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(finishedAt, "finishedAt");
        cases = List.copyOf(cases);
    }

    /** Number of cases with verdict {@code v}. */
    public long count(CaseVerdict v) {
        return cases.stream().filter(c -> c.verdict() == v).count();
    }

    /** {@code veripack scas} exit code: 0 when no case FAILed (NOT_RUN cases carry reasons), else 1. */
    public int exitCode() {
        return count(CaseVerdict.FAIL) == 0 ? 0 : 1;
    }
}
