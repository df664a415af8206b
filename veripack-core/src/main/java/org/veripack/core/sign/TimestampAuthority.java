package org.veripack.core.sign;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Objects;
import org.bouncycastle.tsp.TSPAlgorithms;
import org.bouncycastle.tsp.TSPException;
import org.bouncycastle.tsp.TimeStampRequest;
import org.bouncycastle.tsp.TimeStampRequestGenerator;
import org.bouncycastle.tsp.TimeStampResponse;

/**
 * An RFC 3161 time-stamping authority as the signer uses it: given the bytes to stamp (a SignerInfo's
 * signature value), returns a TimeStampToken (DER ContentInfo of a SignedData). The verifier checks the
 * token independently (imprint, TSA signature, TSA path to the policy's {@code timestampAnchors}).
 */
@FunctionalInterface
public interface TimestampAuthority {
    /**
     * @param data the bytes to time-stamp (hashed with SHA-256 for the message imprint)
     * @return DER TimeStampToken
     * @throws IOException when the TSA cannot be reached or answers with an error or an unusable response
     */
    byte[] timestamp(byte[] data) throws IOException;

    /**
     * A TSA reached over HTTP (RFC 3161 §3.4: POST {@code application/timestamp-query}), with a random
     * 64-bit nonce and certReq=true; the response must be granted and match the request (imprint, nonce;
     * Bouncy Castle's {@code TimeStampResponse.validate}). Responses larger than 1 MiB or slower than
     * {@code timeout} fail.
     */
    static TimestampAuthority http(URI url, Duration timeout) {
        Objects.requireNonNull(url, "url");
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(timeout).build();
        SecureRandom random = new SecureRandom();
        return data -> {
            byte[] imprint;
            try {
                imprint = MessageDigest.getInstance("SHA-256").digest(data);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 unavailable", e);
            }
            TimeStampRequestGenerator gen = new TimeStampRequestGenerator();
            gen.setCertReq(true);
            TimeStampRequest req = gen.generate(TSPAlgorithms.SHA256, imprint, new BigInteger(64, random));
            HttpResponse<InputStream> r;
            try {
                r = client.send(HttpRequest.newBuilder(url).timeout(timeout)
                        .header("Content-Type", "application/timestamp-query")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(req.getEncoded())).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            byte[] body;
            try (InputStream in = r.body()) {
                if (r.statusCode() != 200) {
                    throw new IOException("TSA " + url + " answered HTTP " + r.statusCode());
                }
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                byte[] buf = new byte[8192];
                int n;
                while ((n = in.read(buf)) != -1) {
                    if (out.size() + n > (1 << 20)) {
                        throw new IOException("TSA response larger than 1 MiB");
                    }
                    out.write(buf, 0, n);
                }
                body = out.toByteArray();
            }
            try {
                TimeStampResponse resp = new TimeStampResponse(body);
                resp.validate(req);
                if (resp.getTimeStampToken() == null) {
                    throw new IOException("TSA " + url + " refused: status " + resp.getStatus() + " " + resp.getStatusString());
                }
                return resp.getTimeStampToken().getEncoded();
            } catch (TSPException | RuntimeException e) {
                throw new IOException("TSA " + url + ": unusable response: " + e.getMessage(), e);
            }
        };
    }
}
