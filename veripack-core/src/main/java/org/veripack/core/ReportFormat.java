package org.veripack.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The one rendering of a {@link VerificationReport}: JSON for machines ({@code --json}, sealed node
 * state, audit evidence) and short text for humans (stderr, one line per finding with its code).
 *
 * <p>JSON shape: {@code {"verdict","format","verificationTime","packageSha256","package":{name,version,
 * provider,releaseTime,versionKey},"signers":[{subject,issuer,serial,fingerprintSha256,certificationPath,
 * certificatePolicies}],
 * "artifacts":[{path,type,mode,size,algorithm,digest,linkTarget,source}],"findings":[{code,subject,detail,
 * expected,actual}],"warnings":[{code,subject,detail}]}}; mode is an octal string such as {@code "0755"}; {@code linkTarget} only for a
 * symlink, {@code source} (the URI as signed) only for an external artifact.
 */
public final class ReportFormat {
    /** Created on first JSON use, so the text report (the verify path) never loads Jackson. */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    /** Findings after which a report's signer is not "the signer" (the signature or its certificate failed). */
    private static final java.util.Set<FindingCode> SIGNATURE_NOT_VERIFIED = java.util.EnumSet.of(FindingCode.SIGNATURE_INVALID,
            FindingCode.SIGNER_UNTRUSTED, FindingCode.CERT_EXPIRED, FindingCode.CERT_NOT_YET_VALID, FindingCode.CERT_REVOKED,
            FindingCode.REVOCATION_UNKNOWN, FindingCode.KEY_USAGE_INVALID);

    private ReportFormat() { }

    /** The report as a Jackson tree (for embedding in other JSON documents). */
    public static ObjectNode toJsonTree(VerificationReport r) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("verdict", r.verdict().name());
        root.put("format", r.format().name());
        root.put("verificationTime", r.verificationTime().toString());
        root.put("packageSha256", r.packageSha256().orElse(null));
        r.identity().ifPresentOrElse(id -> {
            ObjectNode p = root.putObject("package");
            p.put("name", id.name());
            p.put("version", id.version());
            p.put("provider", id.provider());
            p.put("releaseTime", id.releaseTime());
            p.put("versionKey", id.versionKey());
        }, () -> root.putNull("package"));
        ArrayNode signers = root.putArray("signers");
        for (SignerSummary s : r.signers()) {
            ObjectNode o = signers.addObject();
            o.put("subject", s.subject());
            o.put("issuer", s.issuer());
            o.put("serial", s.serialHex());
            o.put("fingerprintSha256", s.fingerprintSha256());
            ArrayNode path = o.putArray("certificationPath");
            s.certificationPath().forEach(path::add);
            ArrayNode policies = o.putArray("certificatePolicies");
            s.certificatePolicies().forEach(policies::add);
        }
        ArrayNode artifacts = root.putArray("artifacts");
        for (ArtifactRecord a : r.artifacts()) {
            ObjectNode o = artifacts.addObject();
            o.put("path", a.path());
            o.put("type", a.type().name());
            o.put("mode", String.format("%04o", a.mode()));
            o.put("size", a.sizeBytes());
            o.put("algorithm", a.digestAlgorithm());
            o.put("digest", a.digestHex());
            if (a.linkTarget() != null) {
                o.put("linkTarget", a.linkTarget());
            }
            if (a.source() != null) {
                o.put("source", a.source());
            }
        }
        root.set("findings", findingsJson(r.findings()));
        root.set("warnings", warningsJson(r.warnings()));
        return root;
    }

    /**
     * Findings as JSON, the one shape every document uses (reports, node results, scans):
     * {@code [{code,subject,detail,expected?,actual?}]}, {@code expected}/{@code actual} only when set.
     */
    public static ArrayNode findingsJson(java.util.List<Finding> findings) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        for (Finding f : findings) {
            ObjectNode o = a.addObject();
            o.put("code", f.code().name());
            o.put("subject", f.subject());
            o.put("detail", f.detail());
            if (f.expected() != null) {
                o.put("expected", f.expected());
            }
            if (f.actual() != null) {
                o.put("actual", f.actual());
            }
        }
        return a;
    }

    /** Warnings as JSON, shaped like findings: {@code [{code,subject,detail}]} ({@link WarningCode}). */
    public static ArrayNode warningsJson(java.util.List<Warning> warnings) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        for (Warning w : warnings) {
            a.addObject().put("code", w.code().name()).put("subject", w.subject()).put("detail", w.detail());
        }
        return a;
    }

    /** Text lines shown per finding code before the rest of that code is counted in one line. */
    public static final int TEXT_LINES_PER_CODE = 10;

    /**
     * The human lines for findings, in report order: {@code   CODE subject: detail (expected X, found Y)}. At most
     * {@link #TEXT_LINES_PER_CODE} lines per code; the rest of a code is one line
     * {@code   ... and N more CODE findings (--json lists every finding)}, so a hostile package with 90 000 unlisted
     * entries gives a readable verdict instead of megabytes on stderr (the JSON report and the audit log keep all).
     */
    public static java.util.List<String> findingLines(java.util.List<Finding> findings) {
        java.util.List<String> lines = new java.util.ArrayList<>();
        java.util.Map<FindingCode, Integer> shown = new java.util.EnumMap<>(FindingCode.class);
        java.util.Map<FindingCode, Integer> hidden = new java.util.EnumMap<>(FindingCode.class);
        for (Finding f : findings) {
            int n = shown.merge(f.code(), 1, Integer::sum);
            if (n > TEXT_LINES_PER_CODE) {
                hidden.merge(f.code(), 1, Integer::sum);
                continue;
            }
            StringBuilder sb = new StringBuilder("  ").append(f.code().name()).append(' ').append(f.subject())
                    .append(": ").append(f.detail());
            if (f.expected() != null || f.actual() != null) {
                sb.append(" (expected ").append(f.expected()).append(", found ").append(f.actual()).append(')');
            }
            lines.add(sb.toString());
        }
        hidden.forEach((code, n) -> lines.add("  ... and " + n + " more " + code.name()
                + " findings (--json lists every finding)"));
        return lines;
    }

    /** One pretty-printed JSON document. */
    public static String toJson(VerificationReport r) {
        try {
            return Json.MAPPER.writeValueAsString(toJsonTree(r));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a report tree", e);
        }
    }

    /**
     * Short human text: a verdict line, then one line per finding {@code CODE subject: detail}, then one per
     * warning {@code warning: CODE subject: detail}; the verdict line names every signer, in SignerInfo (DER SET) order: {@code signed by A; B} when the
     * signature verified, {@code signer named, signature not verified: A} after a signature or signer-certificate
     * finding ({@code SIGNATURE_INVALID}, {@code SIGNER_UNTRUSTED}, {@code CERT_*}, {@code REVOCATION_UNKNOWN},
     * {@code KEY_USAGE_INVALID}). Example:
     * {@code REJECTED acme-mme 2.1 (CSAR_OPTION_1)} / {@code   DIGEST_MISMATCH Files/bin/mmed: ...}.
     */
    public static String toText(VerificationReport r) {
        StringBuilder sb = new StringBuilder();
        sb.append(r.verdict().name());
        r.identity().ifPresent(id -> sb.append(' ').append(id.name()).append(' ').append(id.version()));
        sb.append(" (").append(r.format().name()).append(')');
        if (!r.signers().isEmpty()) {
            // "signed by" is a claim only a verified signature supports: with a finding against the signature or
            // the signer's certificate the CMS merely names the signer
            boolean verified = r.findings().stream().noneMatch(f -> SIGNATURE_NOT_VERIFIED.contains(f.code()));
            sb.append(verified ? " signed by " : " signer named, signature not verified: ")
                    .append(String.join("; ", r.signers().stream().map(SignerSummary::subject).toList()));
        }
        sb.append('\n');
        findingLines(r.findings()).forEach(line -> sb.append(line).append('\n'));
        for (Warning w : r.warnings()) {
            sb.append("  warning: ").append(w.code().name()).append(' ').append(w.subject()).append(": ").append(w.detail()).append('\n');
        }
        return sb.toString();
    }
}
