package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.veripack.core.FindingCode;
import org.veripack.core.WarningCode;
import org.veripack.core.TrustPolicyLoader;
import org.veripack.node.AuditEvent;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * docs/reference.md is the contract of the CLI: it must name every option and positional parameter of every
 * command (from picocli's {@link CommandSpec}, in the command's own {@code ### `veripack ...`} section; the
 * help and version options in "Options every command takes"), every exit code constant of {@link ExitCode}
 * (a table row {@code | `N` | `NAME` |}), every trust policy key {@link TrustPolicyLoader#knownKeys()}
 * accepts (a row {@code | `key` | default |} with a default), every {@link FindingCode} and every {@link WarningCode} (a row).
 */
class ReferenceDocTest {
    private static final Path REFERENCE = Path.of("../docs/reference.md");

    @Test
    void referenceNamesEveryOptionExitCodePolicyKeyAndFindingCode() throws IOException {
        assertEquals(List.of(), missing(Files.readString(REFERENCE, StandardCharsets.UTF_8)),
                "docs/reference.md lacks these (add them where the test says)");
    }

    /** The check finds what is missing: one row of each kind removed from the real reference is reported. */
    @Test
    void aRemovedOptionExitCodePolicyKeyOrFindingCodeIsReported() throws IOException {
        String doc = Files.readString(REFERENCE, StandardCharsets.UTF_8);
        String cut = doc.replaceFirst("(?m)^\\| `--store` \\|.*\\n", "")
                .replaceFirst("(?m)^\\| `6` \\| `NO_VERSION` \\|.*\\n", "")
                .replaceFirst("(?m)^\\| `limits\\.maxHeaderBytes` \\|.*\\n", "")
                .replaceFirst("(?m)^\\| `revocation` \\|.*\\n", "")
                .replaceFirst("(?m)^\\| `MODE_MISMATCH` \\|.*\\n", "")
                .replaceFirst("(?m)^\\| `healthCheck\\.timeout` \\|.*\\n", "");
        assertEquals(List.of("veripack sign: option --store", "exit code 6 NO_VERSION",
                "policy key limits.maxHeaderBytes", "policy key revocation", "agent key healthCheck.timeout", "finding code MODE_MISMATCH"),
                missing(cut));
        String noDefault = doc.replaceFirst("(?m)^\\| `antiRollback` \\| `true` \\|", "| `antiRollback` |  |");
        assertEquals(List.of("policy key antiRollback"), missing(noDefault));
    }

    /** What {@code doc} lacks, one line per item, in a stable order. */
    static List<String> missing(String doc) {
        Map<String, String> sections = sections(doc);
        List<String> missing = new ArrayList<>();
        String common = sections.getOrDefault("Options every command takes", "");
        for (CommandSpec spec : commands()) {
            String name = spec.qualifiedName();
            String section = sections.get("`" + name + "`");
            if (spec.subcommands().isEmpty() && section == null) {
                missing.add(name + ": no section ### `" + name + "`");
                continue;
            }
            for (OptionSpec o : spec.options()) {
                boolean everyCommand = o.usageHelp() || o.versionHelp();
                String where = everyCommand ? common : section == null ? "" : section;
                for (String optionName : o.names()) {
                    if (!named(where, optionName)) {
                        missing.add((everyCommand ? "every command" : name) + ": option " + optionName);
                    }
                }
            }
            for (PositionalParamSpec p : spec.positionalParameters()) {
                String label = p.paramLabel().replaceAll("[<>]", "").split(" ")[0];
                if (section == null || !named(section, label)) {
                    missing.add(name + ": parameter " + label);
                }
            }
        }
        String exitCodes = sections.getOrDefault("Exit codes", "");
        for (Field f : ExitCode.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
                int value;
                try {
                    value = f.getInt(null);
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
                if (!row(exitCodes, "`" + value + "` \\| `" + f.getName() + "`")) {
                    missing.add("exit code " + value + " " + f.getName());
                }
            }
        }
        String keys = sections.getOrDefault("Trust policy keys", "");
        for (String key : TrustPolicyLoader.knownKeys()) {
            // the row must give a default: a non-blank second column
            if (!row(keys, "`" + Pattern.quote(key) + "` \\|\\s*[^|\\s][^|]*")) {
                missing.add("policy key " + key);
            }
        }
        String agentKeys = sections.getOrDefault("Agent configuration keys", "");
        for (String key : org.veripack.agent.AgentConfig.knownKeys()) {
            if (!row(agentKeys, "`" + Pattern.quote(key) + "` \\|\\s*[^|\\s][^|]*")) {
                missing.add("agent key " + key);
            }
        }
        String codes = sections.getOrDefault("Finding codes", "");
        for (FindingCode c : FindingCode.values()) {
            if (!row(codes, "`" + c.name() + "`")) {
                missing.add("finding code " + c.name());
            }
        }
        String warnings = sections.getOrDefault("Warning codes", "");
        for (WarningCode c : WarningCode.values()) {
            if (!row(warnings, "`" + c.name() + "`")) {
                missing.add("warning code " + c.name());
            }
        }
        // the audit log's event types and verdicts are a contract: every one the node writes is in the table
        String audit = sections.getOrDefault("Audit events", "");
        for (AuditEvent.Type t : AuditEvent.Type.values()) {
            if (!audit.contains("`" + t.wireName() + "`")) {
                missing.add("audit event " + t.wireName());
            }
        }
        for (AuditEvent.Verdict v : AuditEvent.Verdict.values()) {
            if (!audit.contains("`" + v.name() + "`")) {
                missing.add("audit verdict " + v.name());
            }
        }
        return missing;
    }

    /** Whether {@code text} names {@code name} in backticks: {@code `--key`} or {@code `--key KEY`}, not {@code `--key-label`}. */
    private static boolean named(String text, String name) {
        return Pattern.compile("`" + Pattern.quote(name) + "[ `=]").matcher(text).find();
    }

    /** Whether {@code text} has a table row whose first cell(s) match {@code cells}. */
    private static boolean row(String text, String cells) {
        return Pattern.compile("(?m)^\\| " + cells + " \\|").matcher(text).find();
    }

    /** Sections by heading text (## and ###), each up to the next heading of any level. */
    private static Map<String, String> sections(String doc) {
        Map<String, String> out = new LinkedHashMap<>();
        String heading = "";
        StringBuilder body = new StringBuilder();
        for (String line : doc.split("\n", -1)) {
            if (line.startsWith("## ") || line.startsWith("### ")) {
                out.put(heading, body.toString());
                heading = line.substring(line.indexOf(' ') + 1).trim();
                body.setLength(0);
            } else {
                body.append(line).append('\n');
            }
        }
        out.put(heading, body.toString());
        return out;
    }

    /** Every command and subcommand of the CLI, as picocli models them. */
    private static List<CommandSpec> commands() {
        CommandLine root = new CommandLine(new Main());
        Main.SUBCOMMANDS.forEach(root::addSubcommand);
        List<CommandSpec> all = new ArrayList<>();
        collect(root.getCommandSpec(), all);
        all.remove(0); // the top level: its options (help, version) are those of every command
        assertTrue(all.size() >= 15, all.toString());
        return all;
    }

    private static void collect(CommandSpec spec, List<CommandSpec> into) {
        into.add(spec);
        spec.subcommands().values().forEach(c -> collect(c.getCommandSpec(), into));
    }
}
