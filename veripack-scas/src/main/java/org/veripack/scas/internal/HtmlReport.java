package org.veripack.scas.internal;

import java.util.Map;
import org.veripack.scas.CaseResult;
import org.veripack.scas.CaseVerdict;
import org.veripack.scas.CommandRecord;
import org.veripack.scas.ScasReport;

/**
 * The lab's hand-in: one self-contained HTML page (inline CSS, no script, no external resource). Every
 * text that comes from the package or the product under test is escaped by {@link Text#escape(String)}.
 * The summary is {@code <table id="summary">} with one row per verdict and the total.
 */
public final class HtmlReport {
    private static final String CSS = """
            body{font-family:sans-serif;margin:2em;color:#222;max-width:70em}
            h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
            table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;padding:.25em .6em;text-align:left;vertical-align:top}
            pre{background:#f5f5f5;padding:.5em;white-space:pre-wrap;word-break:break-all;max-height:24em;overflow:auto}
            .PASS{color:#0a6b12;font-weight:bold}.FAIL{color:#b00020;font-weight:bold}.NOT_RUN{color:#8a6d00;font-weight:bold}
            """;

    private HtmlReport() { }

    public static String render(ScasReport r) {
        StringBuilder h = new StringBuilder(64 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">")
                .append("<title>SCAS software package integrity report: ").append(e(r.packageFile())).append("</title>")
                .append("<style>").append(CSS).append("</style></head><body>\n");
        h.append("<h1>3GPP SCAS TC_SW_PKG_INTEGRITY_1 (TS 33.117 §4.2.3.3.5): software package integrity</h1>\n");
        h.append("<table id=\"identity\">");
        row(h, "Product under test", r.product());
        row(h, "Target", r.target());
        row(h, "Genuine package", r.packageFile());
        row(h, "Package name / version", (r.packageName() == null ? "?" : r.packageName()) + " / "
                + (r.packageVersion() == null ? "?" : r.packageVersion()));
        row(h, "Package SHA-256", r.packageSha256());
        row(h, "Harness", r.harnessVersion());
        row(h, "Started / finished (UTC)", r.startedAt() + " / " + r.finishedAt());
        row(h, "Host / user", r.host() + " / " + r.user());
        h.append("</table>\n");

        h.append("<h2>Summary</h2>\n<table id=\"summary\"><tr><th>Verdict</th><th>Cases</th></tr>");
        for (CaseVerdict v : CaseVerdict.values()) {
            h.append("<tr><td class=\"").append(v).append("\">").append(v).append("</td><td id=\"count-")
                    .append(v).append("\">").append(r.count(v)).append("</td></tr>");
        }
        h.append("<tr><td>TOTAL</td><td id=\"count-TOTAL\">").append(r.cases().size()).append("</td></tr></table>\n");
        h.append("<table id=\"cases\"><tr><th>Case</th><th>Title</th><th>Verdict</th></tr>");
        for (CaseResult c : r.cases()) {
            h.append("<tr><td><a href=\"#").append(anchor(c.id())).append("\">").append(e(c.id())).append("</a></td><td>")
                    .append(e(c.title())).append("</td><td class=\"").append(c.verdict()).append("\">")
                    .append(c.verdict()).append("</td></tr>");
        }
        h.append("</table>\n");

        for (CaseResult c : r.cases()) {
            section(h, c);
        }
        h.append("</body></html>\n");
        return h.toString();
    }

    private static void section(StringBuilder h, CaseResult c) {
        h.append("<h2 id=\"").append(anchor(c.id())).append("\">").append(e(c.id())).append(": ").append(e(c.title()))
                .append(" <span class=\"").append(c.verdict()).append("\">").append(c.verdict()).append("</span></h2>\n");
        h.append("<table>");
        row(h, "Purpose", c.purpose());
        if (!c.preconditions().isEmpty()) {
            h.append("<tr><th>Pre-conditions</th><td><ul>");
            c.preconditions().forEach(p -> h.append("<li>").append(e(p)).append("</li>"));
            h.append("</ul></td></tr>");
        }
        row(h, "Expected result", c.expected());
        row(h, "Actual result", c.actual());
        if (c.notRunReason() != null) {
            row(h, "Not run because", c.notRunReason());
        }
        h.append("</table>\n");
        if (!c.steps().isEmpty()) {
            h.append("<h3>Steps</h3><ol>");
            for (CommandRecord s : c.steps()) {
                h.append("<li><b>").append(e(s.purpose())).append("</b> exit ").append(s.exitCode())
                        .append(s.timedOut() ? " (TIMED OUT)" : "").append(", ").append(s.durationMillis()).append(" ms")
                        .append("<pre>$ ").append(e(s.commandLine())).append("</pre>");
                if (!s.stdoutExcerpt().isBlank()) {
                    h.append("stdout:<pre>").append(e(s.stdoutExcerpt())).append("</pre>");
                }
                if (!s.stderrExcerpt().isBlank()) {
                    h.append("stderr:<pre>").append(e(s.stderrExcerpt())).append("</pre>");
                }
                if (s.truncatedBytes() > 0) {
                    h.append("<i>").append(s.truncatedBytes()).append(" further output bytes not kept</i>");
                }
                h.append("</li>");
            }
            h.append("</ol>\n");
        }
        if (!c.evidence().isEmpty()) {
            h.append("<h3>Evidence</h3><table>");
            for (Map.Entry<String, String> en : c.evidence().entrySet()) {
                h.append("<tr><th>").append(e(en.getKey())).append("</th><td><pre>").append(e(en.getValue()))
                        .append("</pre></td></tr>");
            }
            h.append("</table>\n");
        }
    }

    private static void row(StringBuilder h, String k, String v) {
        h.append("<tr><th>").append(e(k)).append("</th><td>").append(e(v)).append("</td></tr>");
    }

    private static String anchor(String id) {
        return "case-" + id.replaceAll("[^A-Za-z0-9_.-]", "_");
    }

    private static String e(String s) {
        return Text.escape(s);
    }
}
