package org.veripack.agent;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.random.RandomGenerator;
import org.veripack.core.RevocationSource;
import org.veripack.node.AuditEvent;
import org.veripack.node.NodeAccess;
import org.veripack.node.NodeFiles;

/**
 * The long-running {@code veripack agent} process around {@link Agent}: reads and checks the configuration, serves the
 * metrics, follows the audit log into syslog, and handles the signals — SIGHUP reloads the configuration (a bad one
 * is reported and the old one kept) and runs verify-installed; SIGTERM and SIGINT stop it after the step in progress
 * (an install is finished, not cut: the installer's crash safety covers a SIGKILL).
 */
public final class AgentDaemon {
    /** Exit statuses (the CLI's: 0 done, 2 usage/configuration, 3 I/O). */
    public static final int OK = 0, USAGE = 2, IO = 3;

    private final Path root;
    private final Path configFile;
    private final PrintStream err;
    private final Object monitor = new Object();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicBoolean reload = new AtomicBoolean();
    private final AgentMetrics metrics = new AgentMetrics();
    private AgentConfig config;
    private Agent agent;
    private AuditExport export;
    private ScheduledExecutorService follower;
    private volatile Thread loop;
    private FileChannel instanceLock;

    private AgentDaemon(Path root, Path configFile, PrintStream err) {
        this.root = root;
        this.configFile = configFile;
        this.err = err;
    }

    /**
     * Reads and checks {@code configFile} as the agent does: strict keys and values, and protected like the node's
     * policy (StrictModes: owned by root or the node root's owner, not writable by group or others); the health-check
     * and stop programs are executable files.
     *
     * @throws AgentConfig.ConfigException naming the file and the problem
     */
    public static AgentConfig loadChecked(Path root, Path configFile) throws AgentConfig.ConfigException {
        AgentConfig c = AgentConfig.load(configFile);
        try {
            NodeAccess.requireProtected(configFile, NodeAccess.ownerUid(root));
        } catch (NodeAccess.UnsafeFileException e) {
            // the message is "FILE: why"; FILE is named once: left out when it is the configuration itself
            throw new AgentConfig.ConfigException(configFile + ": refusing an unprotected configuration: "
                    + (e.file().equals(configFile.toAbsolutePath().normalize()) ? e.why() : e.getMessage()));
        } catch (IOException e) {
            throw new AgentConfig.ConfigException(configFile + ": " + e);
        }
        requireProgram(configFile, "healthCheck.command", c.healthCommand());
        requireProgram(configFile, "onTamper.stopCommand", c.stopCommand());
        return c;
    }

    /** A configured command's program must be there now: else every activation would fail its check and be rolled back. */
    private static void requireProgram(Path configFile, String key, List<String> argv) throws AgentConfig.ConfigException {
        if (argv.isEmpty()) {
            return;
        }
        Path program = Path.of(argv.get(0));
        if (!Files.isRegularFile(program)) {
            throw new AgentConfig.ConfigException(configFile + ": " + key + ": no such program " + program);
        }
        if (!Files.isExecutable(program)) {
            throw new AgentConfig.ConfigException(configFile + ": " + key + ": " + program + " is not executable");
        }
    }

    /**
     * Runs the agent on node {@code root} until SIGTERM/SIGINT.
     *
     * @return {@link #OK} after a clean stop, {@link #USAGE} for a bad configuration, {@link #IO} when the node, the
     *         metrics address or the audit log cannot be opened, or another agent runs on {@code root}
     */
    public static int run(Path root, Path configFile, PrintStream err) {
        return new AgentDaemon(root, configFile, err).run();
    }

    private int run() {
        try {
            config = loadChecked(root, configFile);
        } catch (AgentConfig.ConfigException e) {
            err.println("veripack agent: " + e.getMessage());
            return USAGE;
        }
        if (Files.isDirectory(root) && !Files.isRegularFile(NodeFiles.repositoryRoot(root), LinkOption.NOFOLLOW_LINKS)) {
            // every poll would fail the same way: refused at start (the unit does not restart on exit 2)
            err.println("veripack agent: " + root + ": no repository root pinned (" + NodeFiles.repositoryRoot(root)
                    + "): a trust administrator runs veripack update once with --repo-root ROOT.json");
            return USAGE;
        }
        try {
            if (!lockInstance()) {
                return IO;
            }
            // as soon as this is the node's agent: a SIGHUP or SIGTERM while it starts (an early systemctl reload)
            // is kept for the loop, not the JVM's default action (exit)
            for (String ignored : Signals.install(() -> { reload.set(true); wake(); }, () -> { stop.set(true); wake(); })) {
                // inherited (nohup ignores HUP): the JVM leaves it ignored, so a reload by signal would do nothing
                err.println("veripack agent: SIG" + ignored + " is ignored in this process (inherited from its parent, e.g. nohup): "
                        + (ignored.equals("HUP") ? "a configuration change needs a restart" : "stop the agent with another signal"));
            }
            agent = new Agent(root, config, Clock.systemUTC(), RandomGenerator.getDefault(), this::sleepUntil, metrics, err::println,
                    RevocationSource.http(Duration.ofSeconds(10), 10L << 20, root.resolve("cache").resolve("revocation")));
            serveMetrics(config);
            startExport(config);
            agent.audit(AuditEvent.Type.AGENT_STARTED, null, null, null, null, "config " + configFile + " sha256 " + digest(configFile));
        } catch (IOException e) {
            err.println("veripack agent: " + e.getMessage());
            shutdown(false);
            return IO;
        }
        loop = Thread.currentThread();
        err.println("veripack agent: running on " + root + " (repository " + config.repository() + ", every " + AgentConfig.format(config.interval())
                + (config.metrics() == null ? "" : ", metrics http://" + AgentConfig.format(config.metrics()) + "/metrics")
                + (config.syslog() == null ? "" : ", audit to syslog " + config.syslog().target()) + ")");
        try {
            while (!stop.get()) {
                if (reload.getAndSet(false)) {
                    reload();
                }
                Instant next = agent.tick();
                long millis = Duration.between(Instant.now(), next).toMillis();
                synchronized (monitor) {
                    if (millis > 0 && !stop.get() && !reload.get()) {
                        monitor.wait(Math.min(millis, 60_000));
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        shutdown(true);
        return OK;
    }

    private void reload() {
        AgentConfig c;
        try {
            c = loadChecked(root, configFile);
        } catch (AgentConfig.ConfigException e) {
            err.println("veripack agent: SIGHUP: " + e.getMessage() + "; keeping the configuration in force");
            agent.requestIntegrityCheck();
            return;
        }
        try {
            if (!Objects.equals(c.metrics(), config.metrics())) {
                serveMetrics(c);
            }
            if (!Objects.equals(c.syslog(), config.syslog())) {
                stopExport();
                startExport(c);
            }
            config = c;
            agent.reconfigure(c);
            agent.audit(AuditEvent.Type.AGENT_STARTED, null, null, null, null, "reloaded config " + configFile + " sha256 " + digest(configFile));
            err.println("veripack agent: SIGHUP: configuration reloaded");
        } catch (IOException e) {
            err.println("veripack agent: SIGHUP: " + e.getMessage());
        }
    }

    private void serveMetrics(AgentConfig c) throws IOException {
        metrics.close();
        if (c.metrics() != null) {
            try {
                metrics.serve(c.metrics(), () -> !stop.get() && loop != null && loop.isAlive(), err::println);
            } catch (IOException e) {
                throw new IOException("cannot serve metrics on " + AgentConfig.format(c.metrics()) + ": " + e.getMessage(), e);
            }
        }
    }

    private void startExport(AgentConfig c) throws IOException {
        if (c.syslog() == null) {
            return;
        }
        AgentConfig.Syslog s = c.syslog();
        export = new AuditExport(agent.node().auditLog().file(), root.resolve("state").resolve("agent").resolve("syslog-cursor"),
                s.target(), s.facility(), s.queue(), s.maxMessageBytes(), Agent.hostName(), err::println);
        metrics.export(export);
        follower = Agent.follow(export, err::println);
    }

    private void stopExport() {
        if (follower != null) {
            follower.shutdownNow();
            follower = null;
        }
        if (export != null) {
            try {
                export.poll(); // the last lines, e.g. agent.stopped
            } catch (IOException e) {
                err.println("audit export: " + e);
            }
            export.close(2000);
            export = null;
        }
    }

    private void shutdown(boolean audit) {
        if (audit) {
            try {
                agent.audit(AuditEvent.Type.AGENT_STOPPED, null, null, null, null, "SIGTERM");
            } catch (IOException e) {
                err.println("veripack agent: " + e.getMessage());
            }
        }
        stopExport();
        metrics.close();
        unlockInstance();
        err.println("veripack agent: stopped");
    }

    /** The instance lock's file: one agent per node root (docs/reference.md "veripack agent"). */
    static Path lockFile(Path root) {
        return root.resolve("state").resolve("agent").resolve("agent.lock");
    }

    /**
     * Takes the instance lock, an {@code fcntl} lock on {@link #lockFile} held for the process's life (the kernel
     * releases it when the process dies, also on SIGKILL), and writes this process's pid into it; two agents on one
     * node would both judge each activation and both poll.
     *
     * @return false, after one line naming the holder, when another agent holds it
     */
    private boolean lockInstance() throws IOException {
        if (!Files.isDirectory(root)) {
            return true; // the node cannot be opened: Agent says so
        }
        Path file = lockFile(root);
        NodeFiles.ensurePrivateDirectory(file.getParent());
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            FileLock l = ch.tryLock();
            if (l == null) {
                String pid = new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).strip();
                ch.close();
                err.println("veripack agent: another agent runs on " + root + " (pid " + (pid.isEmpty() ? "unknown" : pid) + ", lock " + file + ")");
                return false;
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            instanceLock = ch;
            return true;
        } catch (OverlappingFileLockException e) {
            ch.close();
            err.println("veripack agent: another agent runs on " + root + " (this process, lock " + file + ")");
            return false;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private void unlockInstance() {
        if (instanceLock != null) {
            try {
                instanceLock.close(); // releases the lock
            } catch (IOException e) {
                err.println("veripack agent: " + e.getMessage());
            }
            instanceLock = null;
        }
    }

    private void wake() {
        synchronized (monitor) {
            monitor.notifyAll();
        }
    }

    /** The health check's delay: real time, cut short by SIGTERM. */
    private void sleepUntil(Instant t) throws InterruptedException {
        synchronized (monitor) {
            long millis;
            while (!stop.get() && (millis = Duration.between(Instant.now(), t).toMillis()) > 0) {
                monitor.wait(millis);
            }
        }
    }

    private static String digest(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
