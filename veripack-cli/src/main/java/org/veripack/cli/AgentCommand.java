package org.veripack.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.veripack.agent.AgentConfig;
import org.veripack.agent.AgentDaemon;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code veripack agent --root NODE --config AGENT.yaml [--check-config]}: the node agent (docs/guide.md "Run the
 * agent"): unattended updates from a TUF repository inside maintenance windows, a health check after each activation
 * with automatic rollback, a periodic verify-installed, the audit log to syslog and Prometheus metrics. Runs until
 * SIGTERM (exit 0); SIGHUP reloads the configuration and runs verify-installed. Exit 2 for a bad or unprotected
 * configuration (one line naming the file and key), no trust store or an unsafe node root; 3 when the node or the
 * metrics address cannot be opened, or another agent runs on the node root; 4 when the caller is not an authorised installer.
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = "Run the node agent: scheduled updates with health check and automatic rollback, periodic integrity checks, syslog and Prometheus.")
final class AgentCommand implements Callable<Integer> {
    @Mixin
    NodeOptions node;

    @Option(names = "--config", required = true, paramLabel = "AGENT.yaml",
            description = "the agent's configuration (docs/reference.md 'Agent configuration keys'); owned by root or the node owner, not group/other-writable")
    Path config;

    @Option(names = "--check-config", description = "read and check the configuration, print what it sets, and exit (0 valid, 2 not)")
    boolean checkConfig;

    @Override
    public Integer call() {
        Integer refused = node.admitInstall("agent", System.err, () -> null);
        if (refused != null) {
            return refused;
        }
        if (checkConfig) {
            try {
                AgentConfig c = AgentDaemon.loadChecked(node.root, config);
                System.out.println("ok: repository " + c.repository() + (c.packageName() == null ? "" : " package " + c.packageName())
                        + ", every " + AgentConfig.format(c.interval()) + " + up to " + AgentConfig.format(c.jitter()) + ", windows "
                        + (c.windows().isEmpty() ? "any time" : c.windows().stream().map(Object::toString).collect(java.util.stream.Collectors.joining("; ")))
                        + " (" + c.timeZone() + "), health check " + (c.healthCommand().isEmpty() ? "none" : String.join(" ", c.healthCommand()))
                        + ", verify-installed every " + AgentConfig.format(c.integrityInterval()) + " (on tamper: " + c.tamperAction().name().toLowerCase(java.util.Locale.ROOT)
                        + "), metrics " + (c.metrics() == null ? "off" : AgentConfig.format(c.metrics())) + ", syslog " + (c.syslog() == null ? "off" : c.syslog().target()));
                return ExitCode.OK;
            } catch (AgentConfig.ConfigException e) {
                System.err.println("veripack agent: " + e.getMessage());
                return ExitCode.USAGE;
            }
        }
        return AgentDaemon.run(node.root, config, System.err);
    }
}
