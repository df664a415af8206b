package org.veripack.scas.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.veripack.scas.CaseResult;
import org.veripack.scas.CommandRecord;
import org.veripack.scas.internal.CaseResults.Evidence;

/**
 * TS 33.117 §4.2.3.3.5 test step 3, exercised: "the access control permissions for ... the list of public keys
 * of authorised software sources ... ensure that the process cannot be controlled by persons that are not
 * authorized to do so". As the identity the harness installs with (which must be a user who may install but
 * not administer trust: observed as the {@code user} of the node's own audit line), the harness tries to add
 * its untrusted root to the node's trust store, to install with that root given as {@code --trust}, and to
 * install a package signed under it. Each must be refused (exit 4, 2 and 1 with {@code SIGNER_UNTRUSTED}) and
 * audited ({@code trust.unauthorized}, {@code trust.option-refused}, {@code install.rejected}), with the trust
 * store's policy digest and the active version unchanged. NOT_RUN for a command target (its trust commands
 * are unknown: {@link TargetDriver#keyListAccessControl}) and when the harness drives the node as root (root
 * administers every node's trust).
 */
final class KeyListAccessControl {
    static final String ID = HarnessRun.TC + ".step3.key-list-access-control";
    private static final String TITLE = "Installer cannot change or bypass the trusted key list";
    private static final String PURPOSE = "TS 33.117 §4.2.3.3.5 step 3: the access control around the integrity check and the list of public "
            + "keys of authorised software sources: a user who may install but not administer trust cannot change "
            + "the node's trust store, cannot bring a trust anchor of their own to an install, and cannot install a "
            + "package signed by a PKI the node does not trust; every attempt is refused and audited.";
    private static final String EXPECTED = "trust add-anchor refused with exit 4 (trust.unauthorized), install --trust refused with exit 2 "
            + "(trust.option-refused), the untrusted-PKI package REJECTED with exit 1 SIGNER_UNTRUSTED (install.rejected); "
            + "trust store policy digest and active version unchanged";

    private final HarnessPki pki;
    private final List<TamperCase> matrix;
    private final Path harnessDir;

    KeyListAccessControl(HarnessPki pki, List<TamperCase> matrix, Path harnessDir) {
        this.pki = pki;
        this.matrix = List.copyOf(matrix);
        this.harnessDir = harnessDir;
    }

    /** The case NOT_RUN for {@code reason}. */
    CaseResult notRun(String reason) {
        return CaseResults.notRun(ID, TITLE, PURPOSE, EXPECTED, reason);
    }

    /** Runs the case against the node {@code nd} drives, whose root is {@code root}. @throws IOException writing the root's PEM */
    CaseResult run(NodeDriver nd, String root) throws IOException {
        TamperCase untrusted = matrix.stream().filter(tc -> tc.id().equals("TAMPER.resigned-untrusted-key") && tc.variant() != null)
                .findFirst().orElse(null);
        if (untrusted == null) {
            return notRun("no package signed under the harness's untrusted root "
                    + "could be derived from the genuine package");
        }
        Evidence ev = new Evidence();
        List<CommandRecord> steps = new ArrayList<>();
        long pos = nd.auditPosition();
        CommandRecord who = nd.veripackRun("who the harness drives the node as (the user of the audit line)", "verify-installed",
                "--root", root);
        steps.add(who);
        String user = NodeDriver.auditUser(nd.auditLinesSince(pos)).orElse(null);
        ev.put("installing identity (audit log user)", String.valueOf(user));
        if (user == null || user.equals("root")) {
            return notRun((user == null ? "the node's audit log did not show who the "
                    + "harness installs as" : "the harness drives the node as root, who administers every node's trust")
                    + ": run it as an authorised installer who is not a trust administrator, e.g. --veripack "
                    + "'runuser -u release-bot -- veripack' (with the lab's test CA already trusted by the node: "
                    + "--test-ca-cert/--test-ca-key)");
        }
        Path rogueRoot = harnessDir.resolve("untrusted-root.pem");
        java.nio.file.Files.write(rogueRoot, HarnessPki.certificatesPem(pki.untrustedRoot().certificate()));
        CommandRecord showBefore = nd.veripackRun("trust store before", "trust", "show", "--root", root, "--json");
        TargetDriver.ActiveState before = nd.active("status before");
        CaseResults.add(steps, showBefore);
        CaseResults.add(steps, before.record());
        List<String> problems = new ArrayList<>();
        // the node's audit event names and exit codes (docs/guide.md "Protecting the node's trust store")
        record Attempt(String event, int exit, String code, String purpose, String... args) { }
        List<Attempt> attempts = List.of(
                new Attempt("trust.unauthorized", 4, null, "add the untrusted root to the node's trust store",
                        "trust", "add-anchor", "--root", root, rogueRoot.toString()),
                new Attempt("trust.option-refused", 2, null, "install with the untrusted root given as --trust",
                        "install", "--root", root, "--trust", rogueRoot.toString(), untrusted.variant().toString()),
                new Attempt("install.rejected", 1, "SIGNER_UNTRUSTED", "install the package signed under the untrusted root",
                        "install", "--root", root, "--json", untrusted.variant().toString()));
        for (Attempt a : attempts) {
            long p = nd.auditPosition();
            CommandRecord r = nd.veripackRun(a.purpose(), a.args());
            steps.add(r);
            List<String> lines = nd.auditLinesSince(p);
            boolean audited = lines.stream().anyMatch(l -> l.contains("\"event\":\"" + a.event() + "\""));
            ev.put(a.purpose(), "exit " + r.exitCode() + (audited ? ", audited " + a.event() : ", NOT audited")
                    + (a.code() == null ? "" : ", codes " + CaseResults.codesText(nd, r)));
            if (r.exitCode() != a.exit()) {
                problems.add(a.purpose() + ": exit " + r.exitCode() + " instead of " + a.exit());
            }
            if (a.code() != null && !nd.findingCodes(r).orElse(List.of()).contains(a.code())) {
                problems.add(a.purpose() + ": no " + a.code());
            }
            if (!audited) {
                problems.add(a.purpose() + ": no " + a.event() + " audit event");
            }
            if (a.exit() == 4 && r.exitCode() == 0) {
                // the installing identity administers trust: undo the change the harness just made
                steps.add(nd.veripackRun("restore the node's trust store", "trust", "remove-anchor", "--root", root,
                        HarnessRun.sha256Der(rogueRoot)));
            }
        }
        CommandRecord showAfter = nd.veripackRun("trust store after", "trust", "show", "--root", root, "--json");
        TargetDriver.ActiveState after = nd.active("status after");
        CaseResults.add(steps, showAfter);
        CaseResults.add(steps, after.record());
        Optional<String> d0 = NodeDriver.policyDigest(showBefore);
        Optional<String> d1 = NodeDriver.policyDigest(showAfter);
        ev.put("trust store policy digest before", d0.orElse("(unknown)"));
        ev.put("trust store policy digest after", d1.orElse("(unknown)"));
        if (d0.isEmpty() || !d0.equals(d1)) {
            problems.add("the trust store's policy digest " + (d0.isEmpty() ? "could not be read" : "CHANGED"));
        }
        if (!CaseResults.unchanged(before, after, ev)) {
            problems.add("the active version CHANGED");
        }
        CaseResults.audit(nd, ev, pos);
        String actual = problems.isEmpty() ? "all three attempts by " + user + " refused and audited; trust store and active "
                + "version unchanged" : String.join("; ", problems);
        return CaseResults.result(ID, TITLE, PURPOSE, List.of("the harness installs as " + user + " (an authorised installer "
                        + "expected not to be a trust administrator)", "untrusted root " + HarnessPki.subject(pki.untrustedRoot())
                        + ", package " + untrusted.variant().getFileName()), steps, EXPECTED, actual, ev, problems.isEmpty());
    }
}
