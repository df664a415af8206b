package org.veripack.agent;

import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Where audit messages go and how they are framed (docs/reference.md "Agent configuration", {@code syslog:}):
 * <ul>
 *   <li>{@code udp}: one message per datagram (RFC 5426 §3.1);</li>
 *   <li>{@code tcp}: octet counting, {@code MSG-LEN SP SYSLOG-MSG} (RFC 6587 §3.4.1), so a message may hold any byte;</li>
 *   <li>{@code unix}: the same octet-counted stream over a local stream socket (rsyslog's {@code imptcp path=...}).
 *       Not {@code /dev/log}: that is a datagram socket, which the JDK cannot open.</li>
 * </ul>
 *
 * @param transport      {@code UDP}, {@code TCP} or {@code UNIX}
 * @param host           collector host (UDP/TCP)
 * @param port           collector port (UDP/TCP), 1–65535
 * @param socket         local socket path (UNIX)
 * @param connectTimeout bound on a TCP connect
 */
public record SyslogTarget(Transport transport, String host, int port, Path socket, Duration connectTimeout) {
    /** The transports. */
    public enum Transport { UDP, TCP, UNIX }

    public SyslogTarget {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        if (transport == Transport.UNIX ? socket == null : host == null || port < 1 || port > 65535) {
            throw new IllegalArgumentException(transport == Transport.UNIX ? "a unix target needs a socket path" : "host and port 1-65535 needed");
        }
    }

    /** Shown in the agent's messages, e.g. {@code tcp 127.0.0.1:514}. */
    @Override
    public String toString() {
        return transport.name().toLowerCase(java.util.Locale.ROOT) + " " + (transport == Transport.UNIX ? socket : host + ":" + port);
    }

    /** An open connection to the collector; one at a time, used by one thread. */
    interface Connection extends AutoCloseable {
        /** Sends one message (framing added here). */
        void send(byte[] message) throws IOException;

        @Override
        void close();
    }

    /** Opens a connection (UDP: a socket; TCP and UNIX: connected streams). */
    Connection open() throws IOException {
        switch (transport) {
            case UDP: {
                DatagramSocket s = new DatagramSocket();
                InetSocketAddress to = new InetSocketAddress(host, port);
                if (to.isUnresolved()) {
                    s.close();
                    throw new IOException("cannot resolve " + host);
                }
                return new Connection() {
                    @Override public void send(byte[] m) throws IOException { s.send(new DatagramPacket(m, m.length, to)); }
                    @Override public void close() { s.close(); }
                };
            }
            case TCP: {
                Socket s = new Socket();
                try {
                    s.connect(new InetSocketAddress(host, port), (int) Math.max(1, connectTimeout.toMillis()));
                    s.setTcpNoDelay(true);
                } catch (IOException e) {
                    s.close();
                    throw e;
                }
                OutputStream out = s.getOutputStream();
                return new Connection() {
                    @Override public void send(byte[] m) throws IOException {
                        out.write(octetCounted(m));
                        out.flush();
                    }
                    @Override public void close() { closeQuietly(s); }
                };
            }
            default: {
                SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    ch.connect(UnixDomainSocketAddress.of(socket));
                } catch (IOException e) {
                    ch.close();
                    throw e;
                }
                return new Connection() {
                    @Override public void send(byte[] m) throws IOException {
                        ByteBuffer b = ByteBuffer.wrap(octetCounted(m));
                        while (b.hasRemaining()) {
                            ch.write(b);
                        }
                    }
                    @Override public void close() { closeQuietly(ch); }
                };
            }
        }
    }

    /** RFC 6587 §3.4.1: {@code MSG-LEN SP SYSLOG-MSG}, MSG-LEN the message's octets in decimal. */
    static byte[] octetCounted(byte[] m) {
        byte[] len = (m.length + " ").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[len.length + m.length];
        System.arraycopy(len, 0, out, 0, len.length);
        System.arraycopy(m, 0, out, len.length, m.length);
        return out;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // closing a connection the collector may already have dropped
        }
    }
}
