package org.veripack.repo;

import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.veripack.core.ArtifactFetcher;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.repo.tuf.Metadata;
import org.veripack.repo.tuf.RepositoryException;
import org.veripack.repo.tuf.TrustedMetadata;

/**
 * The node's requests to a repository (docs/repository.md "The node's update"): each file fetched through the
 * {@link NodeUpdate.Transport} with a size bound, the paths recorded in order, and the target downloaded with its
 * signed length as the bound and its length and hashes checked (TUF spec v1.0.x §5.7.3). Failures are told apart: a
 * crossed bound is {@code REPO_LIMIT_EXCEEDED}, a failure of the repository {@link Unreachable}
 * ({@code REPO_UNREACHABLE}), a failure of the node's own disk an {@link IOException}.
 */
final class RepositoryReader {
    private final NodeUpdate.Transport transport;
    private final List<String> requests = new ArrayList<>();

    RepositoryReader(NodeUpdate.Transport transport) {
        this.transport = transport;
    }

    /** The repository paths requested so far, in order. */
    List<String> requests() {
        return requests;
    }

    /** {@code REPO_UNREACHABLE}: the repository failed, not the node. */
    static final class Unreachable extends Exception {
        private static final long serialVersionUID = 1L;
        final transient Finding finding;

        Unreachable(String path, IOException cause) {
            super(cause);
            this.finding = Finding.of(FindingCode.REPO_UNREACHABLE, path, reason(cause));
        }

        /**
         * What went wrong, for the finding: the first message along the causes (the JDK's HTTP client throws a
         * {@link java.net.ConnectException} without one for a refused connection), else the exception's kind.
         */
        static String reason(IOException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t.getMessage() != null && !t.getMessage().isBlank()) {
                    return (t == e ? "" : t.getClass().getSimpleName() + ": ") + t.getMessage();
                }
            }
            return e instanceof java.net.ConnectException ? "connection refused or failed (ConnectException)" : e.getClass().getSimpleName();
        }
    }

    /**
     * The bytes of the metadata file {@code path}, at most {@code maxBytes}.
     *
     * @param notFoundEnds whether "no such file" is an answer ({@code N+1.root.json}, §5.3.3): then it is thrown as
     *                     {@link ArtifactFetcher.NotFoundException}, else it is {@link Unreachable}
     */
    byte[] fetch(String path, long maxBytes, boolean notFoundEnds) throws IOException, RepositoryException, Unreachable {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            get(path, maxBytes, out);
        } catch (ArtifactFetcher.NotFoundException e) {
            if (notFoundEnds) {
                throw e;
            }
            throw new Unreachable(path, e);
        }
        return out.toByteArray();
    }

    /**
     * Downloads {@code target} into {@code file}: {@code targets/<sha256>.<name>} under consistent snapshots, else
     * {@code targets/<name>}; at most its signed length, then length and hashes (§5.7.3).
     *
     * @throws RepositoryException {@code REPO_TARGET_MISMATCH} or {@code REPO_LIMIT_EXCEEDED} for other bytes
     */
    void download(Metadata.TargetFile target, boolean consistentSnapshot, Path file) throws IOException, RepositoryException, Unreachable {
        String name = target.name(); // a safe relative path: Metadata.targets refused any other before it was trusted
        int slash = name.lastIndexOf('/');
        String path = "targets/" + (consistentSnapshot
                ? name.substring(0, slash + 1) + hashName(target) + "." + name.substring(slash + 1) : name);
        // only the algorithms the signed target lists: a target listing sha256 alone is not also hashed with SHA-512
        Map<String, MessageDigest> digests = new java.util.LinkedHashMap<>();
        for (String alg : target.hashes().keySet()) {
            switch (alg) {
                case "sha256" -> digests.put(alg, digest("SHA-256"));
                case "sha512" -> digests.put(alg, digest("SHA-512"));
                default -> { } // unknown to this client: checkTarget needs another that is known
            }
        }
        long n;
        OutputStream sink = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        for (MessageDigest md : digests.values()) {
            sink = new DigestOutputStream(sink, md);
        }
        try (OutputStream out = sink) {
            n = get(path, target.length(), out);
        } catch (ArtifactFetcher.NotFoundException e) {
            throw new Unreachable(path, e);
        }
        Map<String, String> computed = new java.util.HashMap<>();
        digests.forEach((h, md) -> computed.put(h, HexFormat.of().formatHex(md.digest())));
        TrustedMetadata.checkTarget(target, n, computed);
    }

    /** §5.7.3: the hash that prefixes the target's file name under consistent snapshots (sha256, else sha512). */
    static String hashName(Metadata.TargetFile f) throws RepositoryException {
        String h = f.hashes().containsKey("sha256") ? f.hashes().get("sha256") : f.hashes().get("sha512");
        if (h == null || !h.matches("[0-9a-fA-F]{64,128}")) {
            throw new RepositoryException(FindingCode.REPO_MALFORMED, f.name(), "target has no sha256 or sha512 hash");
        }
        return h.toLowerCase(Locale.ROOT);
    }

    /**
     * One request: a crossed bound is {@code REPO_LIMIT_EXCEEDED}, a failure of the repository {@code REPO_UNREACHABLE},
     * a failure writing {@code out} (the node's disk) an {@link IOException}.
     */
    private long get(String path, long maxBytes, OutputStream out) throws IOException, RepositoryException, Unreachable {
        requests.add(path);
        boolean[] localFailure = {false};
        OutputStream tracked = new FilterOutputStream(out) {
            @Override public void write(byte[] b, int off, int len) throws IOException {
                try {
                    out.write(b, off, len);
                } catch (IOException e) {
                    localFailure[0] = true;
                    throw e;
                }
            }
        };
        try {
            return transport.get(path, maxBytes, tracked);
        } catch (ArtifactFetcher.TooSlowException e) {
            throw new RepositoryException(FindingCode.REPO_LIMIT_EXCEEDED, path, "too slow: " + e.getMessage());
        } catch (ArtifactFetcher.BoundExceededException e) {
            throw new RepositoryException(FindingCode.REPO_LIMIT_EXCEEDED, path, e.getMessage(), "at most " + maxBytes + " bytes",
                    "more than " + maxBytes + " bytes");
        } catch (ArtifactFetcher.NotFoundException e) {
            throw e;
        } catch (IOException e) {
            if (localFailure[0]) {
                throw e;
            }
            throw new Unreachable(path, e);
        }
    }

    static MessageDigest digest(String alg) {
        try {
            return MessageDigest.getInstance(alg);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
