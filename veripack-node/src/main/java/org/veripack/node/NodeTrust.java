package org.veripack.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.veripack.core.FileDigest;
import org.veripack.core.PolicyException;
import org.veripack.core.TrustPolicy;
import org.veripack.core.TrustPolicyLoader;
import org.veripack.node.internal.DurableFiles;
import org.veripack.node.internal.SealedTrust;

/**
 * The node's trust store: the public keys and certificates "configured in the network product" that
 * packages are validated with (TS 33.117 §4.2.3.3.5), so the person or script running {@code install} never
 * chooses them. Layout (docs/node.md):
 * <pre>
 * NODE/config/policy.yaml                 trust policy, the schema of --policy (docs/reference.md "Trust policy keys"); paths relative to it
 * NODE/config/trust/anchor-&lt;sha256&gt;.der  one trust anchor per file, DER: the file's SHA-256 is the certificate's fingerprint
 * NODE/config/trust/&lt;key&gt;-&lt;sha256&gt;.&lt;ext&gt; the other files the policy names (intermediates, timestampAnchors, crls,
 *                                         openpgpKeyrings), byte for byte, named by their SHA-256
 * NODE/config/trust-history.jsonl        every configuration ever set, for the guard ({@link #administeredTrust()})
 * NODE/config/trust.lock                  serialises trust changes
 * </pre>
 *
 * <p>Protection (sshd StrictModes, {@link NodeAccess#requireProtected}): {@code config/}, every file in it and
 * under {@code config/trust/}, and every file the policy names, with every directory above them, must be owned
 * by root or by the node root's owner and not be writable by group or others; otherwise
 * {@link UnsafeNodeRootException} naming the path (CLI exit 2). Every node command checks {@code config/}
 * ({@link #requireProtected()}); {@link #load()} also checks the files the policy names.
 *
 * <p>Changes ({@link #set}, {@link #setAnchors}, {@link #addAnchors}, {@link #removeAnchor}; carried out by
 * {@link TrustChanges}) copy their inputs into {@code config/trust/} first, validate the new policy with
 * {@link TrustPolicyLoader} exactly as {@link #load()} will, record it in the trust history ({@link TrustHistory}),
 * then replace {@code policy.yaml} by temp file + fsync + rename ({@link DurableFiles#writeAtomically}) and delete
 * the files it no longer names: a crash leaves the old or the new policy, each with its files. Who may change the store is the caller's check ({@code trustAdministrators}
 * in {@code NODE/config.yaml}, {@link NodeAccess#isTrustAdministrator}); the audit event is the caller's too.
 */
public final class NodeTrust {
    /** The policy file, relative to the node root. */
    public static final String POLICY_FILE = "config/policy.yaml";
    /**
     * Every trust configuration this node's trust administrators set, relative to the node root: one JSON object a
     * line, the administered form of the sealed trust ({@link SealedTrust#administeredForm()}); written by every
     * trust change before {@code policy.yaml}, never shortened (docs/node.md "Sealed trust and current trust").
     */
    public static final String HISTORY_FILE = "config/trust-history.jsonl";

    private final Path root;
    private final Path config;
    private final Path trustDir;
    private final Path policyFile;
    private final TrustHistory history;

    private NodeTrust(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.config = this.root.resolve("config");
        this.trustDir = config.resolve("trust");
        this.policyFile = this.root.resolve(POLICY_FILE);
        this.history = new TrustHistory(this.root.resolve(HISTORY_FILE), policyFile);
    }

    /** The trust store of node root {@code root} (nothing is read until a method is called). */
    public static NodeTrust of(Path root) {
        return new NodeTrust(root);
    }

    /** {@code NODE/config/policy.yaml}. */
    public Path policyFile() { return policyFile; }

    /** Whether the node has a trust store (its policy file exists). */
    public boolean exists() {
        return Files.exists(policyFile, LinkOption.NOFOLLOW_LINKS);
    }

    /** The message for a node without a trust store: what is missing and how a trust administrator sets it. */
    public String missingMessage() {
        return root + " has no trust store (" + policyFile + "): a trust administrator sets it with 'veripack trust set --root "
                + root + " --trust CA.pem' (or --policy POLICY.yaml)";
    }

    /**
     * StrictModes check of {@code NODE/config/} (when it exists): the directory and every directory above it, and
     * every file in it and in {@code config/trust/}, owned by root or the node root's owner and not writable by
     * group or others. Cheap (no parsing): every node command runs it.
     *
     * @throws UnsafeNodeRootException naming the first unsafe path (CLI exit 2)
     */
    public void requireProtected() throws IOException {
        if (!Files.exists(config, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        long owner = NodeAccess.ownerUid(root);
        try {
            NodeAccess.requireProtected(config, owner);
            requireProtectedEntries(config, owner);
            if (Files.exists(trustDir, LinkOption.NOFOLLOW_LINKS)) {
                NodeAccess.requireProtectedDirectory(trustDir, owner);
                requireProtectedEntries(trustDir, owner);
            }
        } catch (NodeAccess.UnsafeFileException e) {
            throw unsafe(e);
        }
    }

    private static void requireProtectedEntries(Path dir, long owner) throws IOException, NodeAccess.UnsafeFileException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    NodeAccess.requireProtectedDirectory(p, owner);
                } else {
                    NodeAccess.requireProtected(p, owner);
                }
            }
        }
    }

    private static UnsafeNodeRootException unsafe(NodeAccess.UnsafeFileException e) {
        return new UnsafeNodeRootException(e.file(), "unprotected trust store: "
                + e.getMessage().substring(e.file().toString().length() + 2));
    }

    /**
     * The node's trust policy, after the StrictModes check of {@code config/} and of every file the policy names.
     *
     * @throws NodeTrustException      when there is no trust store (the message says how to set one) or its policy
     *                                 is invalid (CLI exit 2)
     * @throws UnsafeNodeRootException when a trust file or a directory above it is unprotected (CLI exit 2)
     */
    public TrustPolicy load() throws IOException {
        requireProtected();
        if (!exists()) {
            throw new NodeTrustException(policyFile, missingMessage());
        }
        TrustPolicy policy;
        try {
            policy = TrustPolicyLoader.load(policyFile);
        } catch (PolicyException e) {
            throw new NodeTrustException(policyFile, "invalid node trust policy: " + e.getMessage());
        }
        long owner = NodeAccess.ownerUid(root);
        try {
            for (Path f : policy.sourceFiles()) {
                NodeAccess.requireProtected(f, owner);
            }
        } catch (NodeAccess.UnsafeFileException e) {
            throw unsafe(e);
        }
        return policy;
    }

    /**
     * The trust configurations a slot's sealed trust may carry: the current store's ({@link #load()}) and every one
     * recorded in {@link #HISTORY_FILE} by an earlier trust change, each in its administered form (trust anchors,
     * intermediates, time-stamp anchors and the rules the guard re-verifies with; no package's certificates). The
     * installer account writes {@code state/} but not {@code config/}, so a sealed trust it made up itself (a rogue
     * root, a rule relaxed) is in neither (docs/node.md "Sealed trust and current trust"). A history line that does
     * not read admits nothing.
     *
     * @throws NodeTrustException      when the current policy is invalid (CLI exit 2)
     * @throws UnsafeNodeRootException when a trust file is unprotected (CLI exit 2)
     */
    public List<SealedTrust> administeredTrust() throws IOException {
        List<SealedTrust> out = new ArrayList<>();
        if (exists()) {
            out.add(SealedTrust.of(load(), List.of()));
        } else {
            requireProtected();
        }
        out.addAll(history.read());
        return out;
    }

    /**
     * The policy digest: SHA-256 (hex) of the {@code sha256sum}-style listing of {@code policy.yaml} and of every
     * file it names, in the order it names them: lines {@code <sha256 hex>  <path relative to NODE/config>\n}
     * (absolute for a file outside it). {@code "none"} when there is no trust store.
     *
     * @throws NodeTrustException when the policy is invalid
     */
    public String digest() throws IOException {
        if (!exists()) {
            return "none";
        }
        TrustPolicy policy;
        try {
            policy = TrustPolicyLoader.load(policyFile);
        } catch (PolicyException e) {
            throw new NodeTrustException(policyFile, "invalid node trust policy: " + e.getMessage());
        }
        return digest(policy);
    }

    /** {@link #digest()} of an already loaded {@code policy}. */
    String digest(TrustPolicy policy) throws IOException {
        StringBuilder listing = new StringBuilder();
        for (Path f : policy.sourceFiles()) {
            Path abs = f.toAbsolutePath().normalize();
            String name = abs.startsWith(config) ? config.relativize(abs).toString() : abs.toString();
            listing.append(FileDigest.hex(abs, "SHA-256")).append("  ").append(name).append('\n');
        }
        return AuditLog.hexSha256(listing.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** SHA-256 fingerprint (lowercase hex of the DER encoding) of a certificate. */
    public static String fingerprint(X509Certificate c) {
        try {
            return AuditLog.hexSha256(c.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("certificate cannot be encoded: " + e.getMessage(), e);
        }
    }

    /**
     * A trust change: the policy digests before and after, the trust anchors after it, and whether anything changed.
     *
     * @param oldDigest          {@link #digest()} before ({@code none} for a new store)
     * @param newDigest          {@link #digest()} after
     * @param anchorFingerprints SHA-256 fingerprints of the X.509 trust anchors of the new policy
     * @param changed            false when the store already was as asked (nothing written)
     */
    public record Change(String oldDigest, String newDigest, List<String> anchorFingerprints, boolean changed) {
        public Change {
            anchorFingerprints = List.copyOf(anchorFingerprints);
        }

        /** One line for the audit log: {@code policy sha256 OLD -> NEW; trust anchors sha256 [..]}. */
        public String describe() {
            return "policy sha256 " + oldDigest + " -> " + newDigest + "; trust anchors sha256 " + anchorFingerprints;
        }
    }

    /**
     * {@code trust set --policy}: the node's trust becomes {@code sourcePolicy} with every file it names copied into
     * {@code config/trust/} (trust anchors split into one DER file per certificate) and the paths rewritten. Creates
     * a missing node root like {@code install} (directories with safe modes).
     *
     * @throws NodeTrustException      when the policy or a file it names is unreadable or invalid (nothing changed)
     * @throws UnsafeNodeRootException when the node root or its trust store is unprotected
     */
    public Change set(Path sourcePolicy) throws IOException {
        return changes().set(sourcePolicy);
    }

    /**
     * {@code trust set --trust CA.pem ...}: the node's trust becomes a policy with these trust anchors and every
     * default (as {@code verify --trust}). Creates a missing node root like {@code install}.
     *
     * @throws NodeTrustException when a file holds no readable certificate (nothing changed)
     */
    public Change setAnchors(List<Path> certificateFiles) throws IOException {
        return changes().setAnchors(certificateFiles);
    }

    /**
     * {@code trust add-anchor}: adds every certificate of {@code certificateFile} to the policy's trust anchors
     * (certificates already trusted are skipped; when all are, nothing is written and {@link Change#changed()} is
     * false).
     *
     * @throws NodeTrustException when there is no trust store or the file holds no readable certificate
     */
    public Change addAnchors(Path certificateFile) throws IOException {
        return changes().addAnchors(certificateFile);
    }

    /**
     * {@code trust remove-anchor}: removes the trust anchor with this SHA-256 fingerprint (64 hex digits; colons, case
     * and a {@code sha256:} prefix are ignored). A file holding several anchors is replaced by one file per remaining
     * anchor.
     *
     * @throws NodeTrustException when there is no trust store, no anchor has this fingerprint, the fingerprint is
     *                            malformed, or the change would leave the policy without any trust anchor
     */
    public Change removeAnchor(String sha256Fingerprint) throws IOException {
        return changes().removeAnchor(sha256Fingerprint);
    }

    private TrustChanges changes() {
        return new TrustChanges(this, history, root);
    }
}
