package org.veripack.agent;

import java.nio.file.Path;

/** The agent in its own JVM for {@link AgentDaemonTest} (signals go to a process): {@code DaemonMain NODE AGENT.yaml}. */
public final class DaemonMain {
    private DaemonMain() { }

    public static void main(String[] args) {
        System.exit(AgentDaemon.run(Path.of(args[0]), Path.of(args[1]), System.err));
    }
}
