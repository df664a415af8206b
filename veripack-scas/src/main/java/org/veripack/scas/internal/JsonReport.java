package org.veripack.scas.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.veripack.scas.CaseResult;
import org.veripack.scas.CaseVerdict;
import org.veripack.scas.CommandRecord;
import org.veripack.scas.ScasReport;

/**
 * JSON form: {@code {"harness","startedAt","finishedAt","host","user","target","product","package":{file,sha256,
 * name,version},"summary":{PASS,FAIL,NOT_RUN,total},"cases":[{id,title,purpose,preconditions,steps:[{purpose,
 * command,argv,exitCode,timedOut,stdout,stderr,truncatedBytes,durationMillis}],expected,actual,evidence:{},
 * verdict,notRunReason}]}}.
 */
public final class JsonReport {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private JsonReport() { }

    public static String render(ScasReport r) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("harness", r.harnessVersion());
        root.put("startedAt", r.startedAt().toString());
        root.put("finishedAt", r.finishedAt().toString());
        root.put("host", r.host());
        root.put("user", r.user());
        root.put("target", r.target());
        root.put("product", r.product());
        ObjectNode p = root.putObject("package");
        p.put("file", r.packageFile());
        p.put("sha256", r.packageSha256());
        p.put("name", r.packageName());
        p.put("version", r.packageVersion());
        ObjectNode s = root.putObject("summary");
        for (CaseVerdict v : CaseVerdict.values()) {
            s.put(v.name(), r.count(v));
        }
        s.put("total", r.cases().size());
        ArrayNode cases = root.putArray("cases");
        for (CaseResult c : r.cases()) {
            ObjectNode o = cases.addObject();
            o.put("id", c.id());
            o.put("title", c.title());
            o.put("purpose", c.purpose());
            ArrayNode pre = o.putArray("preconditions");
            c.preconditions().forEach(pre::add);
            ArrayNode steps = o.putArray("steps");
            for (CommandRecord st : c.steps()) {
                ObjectNode so = steps.addObject();
                so.put("purpose", st.purpose());
                so.put("command", st.commandLine());
                ArrayNode argv = so.putArray("argv");
                st.argv().forEach(argv::add);
                so.put("exitCode", st.exitCode());
                so.put("timedOut", st.timedOut());
                so.put("stdout", st.stdoutExcerpt());
                so.put("stderr", st.stderrExcerpt());
                so.put("truncatedBytes", st.truncatedBytes());
                so.put("durationMillis", st.durationMillis());
            }
            o.put("expected", c.expected());
            o.put("actual", c.actual());
            ObjectNode ev = o.putObject("evidence");
            c.evidence().forEach(ev::put);
            o.put("verdict", c.verdict().name());
            o.put("notRunReason", c.notRunReason());
        }
        try {
            return MAPPER.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a tree of strings and numbers", e);
        }
    }
}
