package org.veripack.core.trust;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.veripack.core.pki.TestPki;

/**
 * The real OCSP peer: {@code openssl ocsp -index INDEX -port 0 -rsigner ... -rkey ... -CA ...} started as a
 * child process (it chooses a free port and prints {@code ACCEPT [::]:PORT}); the test talks to it on
 * 127.0.0.1 and {@link #close()} kills it. The index file has openssl ca's format.
 */
final class OpensslOcspResponder implements AutoCloseable {
    private static final DateTimeFormatter INDEX_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final Pattern ACCEPT = Pattern.compile("ACCEPT .*:(\\d+)");

    private final Process process;
    private final int port;

    private OpensslOcspResponder(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** One index line: a certificate serial and, for a revoked one, date and openssl reason name (e.g. keyCompromise). */
    record Entry(BigInteger serial, Instant revoked, String reason) {
        static Entry valid(BigInteger serial) { return new Entry(serial, null, null); }
        static Entry revoked(BigInteger serial, Instant when, String reason) { return new Entry(serial, when, reason); }
    }

    /**
     * Starts a responder for certificates issued by {@code ca}, signing responses with {@code signer}
     * (the CA itself, a delegated responder, or — for the attack — an unrelated key).
     */
    static OpensslOcspResponder start(Path dir, TestPki.Issued ca, TestPki.Issued signer, List<Entry> entries)
            throws IOException {
        Files.createDirectories(dir);
        StringBuilder index = new StringBuilder();
        for (Entry e : entries) {
            String serial = e.serial().toString(16).toUpperCase();
            if (serial.length() % 2 == 1) {
                serial = "0" + serial;
            }
            String revoked = e.revoked() == null ? "" : INDEX_TIME.format(e.revoked()) + (e.reason() == null ? "" : "," + e.reason());
            index.append(e.revoked() == null ? 'V' : 'R').append('\t').append("440101000000Z").append('\t').append(revoked)
                    .append('\t').append(serial).append("\tunknown\t/CN=unused\n");
        }
        Files.writeString(dir.resolve("index.txt"), index.toString());
        TestPki.writeCertificatesPem(dir.resolve("ca.pem"), ca.certificate());
        TestPki.writeCertificatesPem(dir.resolve("rsigner.pem"), signer.certificate());
        TestPki.writePrivateKeyPem(dir.resolve("rkey.pem"), signer.keyPair().getPrivate());
        Process p = new ProcessBuilder("openssl", "ocsp", "-index", "index.txt", "-port", "0", "-rsigner", "rsigner.pem",
                "-rkey", "rkey.pem", "-CA", "ca.pem", "-ndays", "1")
                .directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        StringBuilder seen = new StringBuilder();
        while ((line = out.readLine()) != null) {
            seen.append(line).append('\n');
            Matcher m = ACCEPT.matcher(line);
            if (m.find()) {
                Thread drain = new Thread(() -> {
                    try {
                        while (out.readLine() != null) {
                            // keep the pipe empty
                        }
                    } catch (IOException e) {
                        // process ended
                    }
                }, "openssl-ocsp-drain");
                drain.setDaemon(true);
                drain.start();
                return new OpensslOcspResponder(p, Integer.parseInt(m.group(1)));
            }
        }
        p.destroyForcibly();
        throw new IOException("openssl ocsp did not start:\n" + seen);
    }

    /** {@code http://127.0.0.1:PORT/}. */
    String url() {
        return "http://127.0.0.1:" + port + "/";
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    static String serialOf(X509Certificate c) {
        return c.getSerialNumber().toString(16);
    }
}
