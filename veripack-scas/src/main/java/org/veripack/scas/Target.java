package org.veripack.scas;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The product under test. The harness drives it only through processes (never through its classes),
 * so the same cases run against Veripack's own node and against any third-party installer.
 */
public sealed interface Target permits Target.Node, Target.Command {

    /** Text identifying the target in reports ({@code node:/srv/node}, {@code cmd}). */
    String describe();

    /**
     * A Veripack node root driven through the {@code veripack} CLI (docs/reference.md, and docs/node.md
     * "Node root layout"): {@code install}, {@code status --json}, {@code run}, and {@code NODE/audit/events.jsonl}.
     *
     * @param root     the node root directory
     * @param veripack the command that starts the CLI ({@code [./veripack]} or {@code [java, -cp, CP, org.veripack.cli.Main]})
     * @param probe    the run check: an executable relative to the active slot and its arguments, run through
     *                 {@code veripack run} to show the active version is runnable (exit 0); empty to rely on
     *                 {@code status} only
     * @param probeEnv {@code K=V} environment variables for the run check ({@code veripack run --env})
     */
    record Node(Path root, List<String> veripack, List<String> probe, List<String> probeEnv) implements Target {
        public Node {
            Objects.requireNonNull(root, "root");
            veripack = List.copyOf(veripack);
            if (veripack.isEmpty()) {
                throw new IllegalArgumentException("the veripack command is empty");
            }
            probe = List.copyOf(probe);
            probeEnv = List.copyOf(probeEnv);
            if (probe.isEmpty() && !probeEnv.isEmpty()) {
                throw new IllegalArgumentException("a probe environment needs a probe");
            }
        }

        @Override
        public String describe() {
            return "node:" + root;
        }
    }

    /**
     * Any installer, driven through {@code /bin/sh -c} command templates. Placeholders:
     * {@code {package}} is replaced by the package's absolute path, {@code {file}} by its file name
     * (both shell-quoted).
     *
     * @param installTemplate install/upgrade command, required
     * @param statusTemplate  command printing the active version (compared before/after), or null
     * @param runTemplate     command showing the active version runs (exit 0 = runnable), or null
     * @param successRegex    when non-null, an install succeeded iff its stdout or stderr matches (exit code ignored);
     *                        when null, iff it exits 0
     */
    record Command(String installTemplate, String statusTemplate, String runTemplate, Pattern successRegex)
            implements Target {
        public Command {
            Objects.requireNonNull(installTemplate, "installTemplate");
            if (installTemplate.isBlank()) {
                throw new IllegalArgumentException("the install command template is blank");
            }
        }

        @Override
        public String describe() {
            return "cmd";
        }
    }
}
