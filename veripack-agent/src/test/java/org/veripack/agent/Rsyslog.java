package org.veripack.agent;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real rsyslog (Debian's {@code rsyslog}) on loopback for the export tests: its own configuration in a temporary
 * directory with imudp and imtcp on free 127.0.0.1 ports and an imptcp unix stream socket, every message written to
 * one file with the properties rsyslog parsed from it, tab-separated:
 * {@code inputname protocol-version pri timereported hostname app-name msgid structured-data msg}.
 * Started as {@code rsyslogd -n -f CONF -i PIDFILE}, stopped by its PID. Tests are skipped, saying why, when
 * {@code rsyslogd} is not installed ({@code .ci/run} installs it).
 */
final class Rsyslog implements AutoCloseable {
    static final Path RSYSLOGD = Path.of("/usr/sbin/rsyslogd");

    final int udpPort;
    final int tcpPort;
    final Path socket;
    final Path out;
    private final Process process;

    private Rsyslog(Path dir) throws IOException, InterruptedException {
        udpPort = freeUdpPort();
        tcpPort = freeTcpPort();
        socket = dir.resolve("syslog.sock");
        out = dir.resolve("received.log");
        Path work = Files.createDirectories(dir.resolve("work"));
        Path conf = dir.resolve("rsyslog.conf");
        Files.writeString(conf, String.join("\n",
                "global(workDirectory=\"" + work + "\" maxMessageSize=\"64k\")",
                "module(load=\"imudp\")",
                "module(load=\"imtcp\")",
                "module(load=\"imptcp\")",
                "template(name=\"fields\" type=\"string\" string=\"%inputname%\\t%protocol-version%\\t%pri%\\t"
                        + "%timereported:::date-rfc3339%\\t%hostname%\\t%app-name%\\t%msgid%\\t%structured-data%\\t%msg%\\n\")",
                "ruleset(name=\"collect\") { action(type=\"omfile\" file=\"" + out + "\" template=\"fields\" flushOnTXEnd=\"on\""
                        + " asyncWriting=\"off\") }",
                "input(type=\"imudp\" address=\"127.0.0.1\" port=\"" + udpPort + "\" ruleset=\"collect\")",
                "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"" + tcpPort + "\" ruleset=\"collect\")",
                "input(type=\"imptcp\" path=\"" + socket + "\" unlink=\"on\" ruleset=\"collect\")",
                ""));
        process = new ProcessBuilder(RSYSLOGD.toString(), "-n", "-f", conf.toString(), "-i", dir.resolve("rsyslogd.pid").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("rsyslogd.out").toFile()).start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("rsyslogd exited " + process.exitValue() + ": " + Files.readString(dir.resolve("rsyslogd.out")));
            }
            if (Files.exists(socket) && accepts(tcpPort)) {
                break;
            }
            if (System.nanoTime() > until) {
                close();
                throw new IOException("rsyslogd did not listen within 20 s: " + Files.readString(dir.resolve("rsyslogd.out")));
            }
            Thread.sleep(50);
        }
    }

    /** Starts rsyslogd in {@code dir}; skips the test when it is not installed. */
    static Rsyslog start(Path dir) throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(RSYSLOGD), "rsyslogd is not installed (Debian package rsyslog; .ci/run installs it)");
        return new Rsyslog(dir);
    }

    /** One received message as rsyslog parsed it. */
    record Received(String input, String protocolVersion, int pri, String time, String hostname, String appName, String msgid,
                    String structuredData, String msg) {
        /** The value of {@code name} in the structured data (escapes of RFC 5424 §6.3.3 undone), or null. */
        String param(String name) {
            String key = " " + name + "=\"";
            int i = structuredData.indexOf(key);
            if (i < 0) {
                return null;
            }
            StringBuilder b = new StringBuilder();
            for (int j = i + key.length(); j < structuredData.length(); j++) {
                char c = structuredData.charAt(j);
                if (c == '\\' && j + 1 < structuredData.length()) {
                    b.append(structuredData.charAt(++j));
                } else if (c == '"') {
                    return b.toString();
                } else {
                    b.append(c);
                }
            }
            return null;
        }
    }

    /** The messages received so far. */
    List<Received> received() throws IOException {
        List<Received> r = new ArrayList<>();
        if (!Files.exists(out)) {
            return r;
        }
        String all = Files.readString(out, StandardCharsets.UTF_8);
        // only complete lines: rsyslog may be writing the last one
        for (String l : all.substring(0, all.lastIndexOf('\n') + 1).split("\n")) {
            String[] f = l.split("\t", 9);
            if (f.length == 9) {
                r.add(new Received(f[0], f[1], Integer.parseInt(f[2]), f[3], f[4], f[5], f[6], f[7], f[8]));
            }
        }
        return r;
    }

    /** Waits up to {@code timeout} until {@code until} holds for the received messages; returns them. */
    List<Received> await(Duration timeout, Predicate<List<Received>> until) throws IOException, InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<Received> r = received();
            if (until.test(r) || System.nanoTime() > end) {
                return r;
            }
            Thread.sleep(50);
        }
    }

    @Override
    public void close() {
        process.destroy(); // SIGTERM to the PID we started
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
