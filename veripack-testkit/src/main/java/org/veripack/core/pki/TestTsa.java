package org.veripack.core.pki;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.cert.CertificateEncodingException;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.tsp.TSPAlgorithms;
import org.bouncycastle.tsp.TSPException;
import org.bouncycastle.tsp.TimeStampRequest;
import org.bouncycastle.tsp.TimeStampResponse;
import org.bouncycastle.tsp.TimeStampResponseGenerator;
import org.bouncycastle.tsp.TimeStampTokenGenerator;

/**
 * A throw-away RFC 3161 time-stamping authority for tests (test kit, test scope only): Bouncy Castle's
 * {@link TimeStampResponseGenerator} behind the JDK HTTP server on 127.0.0.1 (an ephemeral port),
 * answering {@code POST application/timestamp-query} (RFC 3161 §3.4). genTime comes from an injected
 * supplier, so tests are exact. <b>Never use it in production.</b>
 *
 * <pre>{@code
 * Issued tsaCert = TestPki.cert("CN=Test TSA").issuedBy(root).extendedKeyUsage(KeyPurposeId.id_kp_timeStamping)
 *         .criticalExtendedKeyUsage(true).build();
 * try (TestTsa tsa = TestTsa.start(tsaCert, () -> Instant.parse("2025-01-01T00:00:00Z"))) { ... tsa.url() ... }
 * }</pre>
 */
public final class TestTsa implements AutoCloseable {
    private static final ASN1ObjectIdentifier TSA_POLICY = new ASN1ObjectIdentifier("1.3.6.1.4.1.55555.2.1");

    private final HttpServer server;
    private final AtomicLong serials = new AtomicLong(1);
    private final AtomicLong requests = new AtomicLong();

    private TestTsa(HttpServer server) {
        this.server = server;
    }

    /**
     * Starts a TSA signing with {@code tsa} (its certificate should carry a critical EKU id-kp-timeStamping)
     * and including {@code chain} in tokens.
     *
     * @throws IOException when the server cannot bind
     */
    public static TestTsa start(TestPki.Issued tsa, Supplier<Instant> clock, java.security.cert.X509Certificate... chain)
            throws IOException {
        Objects.requireNonNull(tsa, "tsa");
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        TestTsa t = new TestTsa(server);
        server.createContext("/", exchange -> {
            try (InputStream in = exchange.getRequestBody(); OutputStream out = exchange.getResponseBody()) {
                t.requests.incrementAndGet();
                byte[] body;
                try {
                    TimeStampRequest req = new TimeStampRequest(in.readNBytes(64 * 1024));
                    TimeStampTokenGenerator gen = new TimeStampTokenGenerator(
                            new JcaSimpleSignerInfoGeneratorBuilder().build(
                                    TestPki.defaultSignatureAlgorithm(tsa.keyPair().getPublic()), tsa.keyPair().getPrivate(),
                                    tsa.certificate()),
                            new JcaDigestCalculatorProviderBuilder().build().get(
                                    new org.bouncycastle.asn1.x509.AlgorithmIdentifier(
                                            org.bouncycastle.asn1.nist.NISTObjectIdentifiers.id_sha256)),
                            TSA_POLICY);
                    java.util.List<java.security.cert.X509Certificate> certs = new java.util.ArrayList<>();
                    certs.add(tsa.certificate());
                    certs.addAll(List.of(chain));
                    gen.addCertificates(new JcaCertStore(certs));
                    TimeStampResponseGenerator rg = new TimeStampResponseGenerator(gen, TSPAlgorithms.ALLOWED);
                    TimeStampResponse resp = rg.generate(req, BigInteger.valueOf(t.serials.getAndIncrement()),
                            Date.from(clock.get()));
                    body = resp.getEncoded();
                } catch (TSPException | CertificateEncodingException | org.bouncycastle.operator.OperatorCreationException
                         | IllegalArgumentException e) {
                    exchange.sendResponseHeaders(400, -1);
                    return;
                }
                exchange.getResponseHeaders().add("Content-Type", "application/timestamp-reply");
                exchange.sendResponseHeaders(200, body.length);
                out.write(body);
            }
        });
        server.start();
        return t;
    }

    /** The TSA's URL ({@code http://127.0.0.1:PORT/}). */
    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    /** How many requests were answered so far. */
    public long requests() {
        return requests.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
