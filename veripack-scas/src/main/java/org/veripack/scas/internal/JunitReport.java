package org.veripack.scas.internal;

import java.util.Map;
import org.veripack.scas.CaseResult;
import org.veripack.scas.CaseVerdict;
import org.veripack.scas.CommandRecord;
import org.veripack.scas.ScasReport;

/**
 * JUnit XML (the Ant/Surefire schema CI systems read): one {@code testsuite} "veripack-scas", one
 * {@code testcase} per case (classname {@code TC_SW_PKG_INTEGRITY_1} or {@code TAMPER}), FAIL as
 * {@code failure}, NOT_RUN as {@code skipped}; steps and evidence in {@code system-out}.
 */
public final class JunitReport {
    private JunitReport() { }

    public static String render(ScasReport r) {
        StringBuilder x = new StringBuilder(32 * 1024);
        long millis = r.finishedAt().toEpochMilli() - r.startedAt().toEpochMilli();
        x.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        x.append("<testsuite name=\"veripack-scas\" tests=\"").append(r.cases().size())
                .append("\" failures=\"").append(r.count(CaseVerdict.FAIL)).append("\" errors=\"0\" skipped=\"")
                .append(r.count(CaseVerdict.NOT_RUN)).append("\" time=\"").append(millis / 1000.0)
                .append("\" timestamp=\"").append(r.startedAt()).append("\" hostname=\"").append(e(r.host())).append("\">\n");
        x.append("  <properties>\n");
        prop(x, "harness", r.harnessVersion());
        prop(x, "target", r.target());
        prop(x, "product", r.product());
        prop(x, "package", r.packageFile());
        prop(x, "packageSha256", r.packageSha256());
        x.append("  </properties>\n");
        for (CaseResult c : r.cases()) {
            long t = c.steps().stream().mapToLong(CommandRecord::durationMillis).sum();
            String cls = c.id().contains(".") ? c.id().substring(0, c.id().indexOf('.')) : c.id();
            x.append("  <testcase classname=\"").append(e(cls)).append("\" name=\"").append(e(c.id()))
                    .append("\" time=\"").append(t / 1000.0).append("\">\n");
            if (c.verdict() == CaseVerdict.FAIL) {
                x.append("    <failure message=\"").append(e(c.actual())).append("\" type=\"SCAS\">expected: ")
                        .append(e(c.expected())).append("</failure>\n");
            } else if (c.verdict() == CaseVerdict.NOT_RUN) {
                x.append("    <skipped message=\"").append(e(c.notRunReason())).append("\"/>\n");
            }
            x.append("    <system-out>").append(e(systemOut(c))).append("</system-out>\n");
            x.append("  </testcase>\n");
        }
        x.append("</testsuite>\n");
        return x.toString();
    }

    private static String systemOut(CaseResult c) {
        StringBuilder s = new StringBuilder();
        s.append(c.title()).append('\n').append("actual: ").append(c.actual()).append('\n');
        for (CommandRecord st : c.steps()) {
            s.append("$ ").append(st.commandLine()).append("  -> exit ").append(st.exitCode()).append('\n');
        }
        for (Map.Entry<String, String> en : c.evidence().entrySet()) {
            s.append(en.getKey()).append(": ").append(en.getValue()).append('\n');
        }
        return s.toString();
    }

    private static void prop(StringBuilder x, String k, String v) {
        x.append("    <property name=\"").append(e(k)).append("\" value=\"").append(e(v)).append("\"/>\n");
    }

    private static String e(String s) {
        return Text.escape(s);
    }
}
