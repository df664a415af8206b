package org.veripack.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.veripack.core.FileDigest;
import org.veripack.core.PolicyException;
import org.veripack.core.TrustPolicy;
import org.veripack.core.TrustPolicyLoader;
import org.veripack.node.internal.DurableFiles;
import org.veripack.node.internal.NodeLayout;
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
 * <p>Changes ({@link #set}, {@link #setAnchors}, {@link #addAnchors}, {@link #removeAnchor}) copy their inputs
 * into {@code config/trust/} first, validate the new policy with {@link TrustPolicyLoader} exactly as
 * {@link #load()} will, then replace {@code policy.yaml} by temp file + fsync + rename
 * ({@link DurableFiles#writeAtomically}) and delete the files it no longer names: a crash leaves the old or the
 * new policy, each with its files. Who may change the store is the caller's check ({@code trustAdministrators}
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
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Policy keys whose values name files (docs/reference.md "Trust policy keys"). */
    static final List<String> FILE_KEYS = List.of("trustAnchors", "intermediates", "timestampAnchors", "crls", "openpgpKeyrings");
    /** Largest file a trust change copies (CRLs of large CAs reach tens of MiB). */
    static final long MAX_FILE_BYTES = 64L << 20;
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION));

    private final Path root;
    private final Path config;
    private final Path trustDir;
    private final Path policyFile;
    private final Path historyFile;

    private NodeTrust(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.config = this.root.resolve("config");
        this.trustDir = config.resolve("trust");
        this.policyFile = this.root.resolve(POLICY_FILE);
        this.historyFile = this.root.resolve(HISTORY_FILE);
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
        out.addAll(history());
        return out;
    }

    private List<SealedTrust> history() throws IOException {
        List<SealedTrust> out = new ArrayList<>();
        if (!Files.exists(historyFile, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        for (String line : Files.readAllLines(historyFile, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            try {
                out.add(SealedTrust.fromJson(JSON.readTree(line)).administeredForm());
            } catch (IOException unreadable) {
                // admits nothing: the file is the administrator's, a damaged line cannot widen the trust
            }
        }
        return out;
    }

    /**
     * Adds {@code next} to {@link #HISTORY_FILE} (temp + fsync + rename) unless it is there; a node set before the
     * history was kept gets its current policy recorded first, so the slots installed under it stay admitted.
     */
    private void recordInHistory(TrustPolicy next) throws IOException {
        List<SealedTrust> known = history();
        StringBuilder text = new StringBuilder();
        if (Files.exists(historyFile, LinkOption.NOFOLLOW_LINKS)) {
            text.append(Files.readString(historyFile, StandardCharsets.UTF_8));
        } else if (exists()) {
            try {
                SealedTrust old = SealedTrust.of(TrustPolicyLoader.load(policyFile), List.of());
                known.add(old);
                text.append(JSON.writeValueAsString(old.toJson(JSON.createObjectNode()))).append('\n');
            } catch (PolicyException invalid) {
                // an invalid policy admitted nothing
            }
        }
        SealedTrust form = SealedTrust.of(next, List.of());
        if (known.contains(form)) {
            return;
        }
        text.append(JSON.writeValueAsString(form.toJson(JSON.createObjectNode()))).append('\n');
        DurableFiles.writeAtomically(historyFile, text.toString().getBytes(StandardCharsets.UTF_8));
        Files.setPosixFilePermissions(historyFile, PosixFilePermissions.fromString("rw-r--r--"));
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

    private String digest(TrustPolicy policy) throws IOException {
        StringBuilder listing = new StringBuilder();
        for (Path f : policy.sourceFiles()) {
            Path abs = f.toAbsolutePath().normalize();
            String name = abs.startsWith(config) ? config.relativize(abs).toString() : abs.toString();
            listing.append(FileDigest.hex(abs, "SHA-256", false)).append("  ").append(name).append('\n');
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
        JsonNode tree;
        try {
            if (Files.size(sourcePolicy) > MAX_FILE_BYTES) {
                throw new NodeTrustException(sourcePolicy, sourcePolicy + ": trust policy too large");
            }
            tree = YAML.readTree(sourcePolicy.toFile());
        } catch (NodeTrustException e) {
            throw e;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new NodeTrustException(sourcePolicy, org.veripack.core.TrustPolicyLoader.syntaxError(sourcePolicy, e));
        } catch (IOException e) {
            throw new NodeTrustException(sourcePolicy, sourcePolicy + ": cannot read trust policy: " + e.getMessage());
        }
        if (tree == null || !tree.isObject()) {
            throw new NodeTrustException(sourcePolicy, sourcePolicy + ": a trust policy must be a YAML mapping");
        }
        return change(() -> {
            ObjectNode copy = ((ObjectNode) tree).deepCopy();
            Path base = sourcePolicy.toAbsolutePath().getParent();
            for (String key : FILE_KEYS) {
                if (!copy.has(key) || copy.get(key).isNull()) {
                    continue;
                }
                ArrayNode names = copy.arrayNode();
                for (String p : paths(sourcePolicy, copy, key)) {
                    Path f = base.resolve(p);
                    if (key.equals("trustAnchors")) {
                        for (X509Certificate c : readCertificates(sourcePolicy, key, f)) {
                            names.add(writeAnchor(c));
                        }
                    } else {
                        names.add(copyFile(sourcePolicy, key, f));
                    }
                }
                copy.set(key, names);
            }
            return copy;
        });
    }

    /**
     * {@code trust set --trust CA.pem ...}: the node's trust becomes a policy with these trust anchors and every
     * default (as {@code verify --trust}). Creates a missing node root like {@code install}.
     *
     * @throws NodeTrustException when a file holds no readable certificate (nothing changed)
     */
    public Change setAnchors(List<Path> certificateFiles) throws IOException {
        return change(() -> {
            ObjectNode tree = JsonNodeFactory.instance.objectNode();
            ArrayNode names = tree.putArray("trustAnchors");
            for (Path f : certificateFiles) {
                for (X509Certificate c : readCertificates(null, "--trust", f)) {
                    String name = writeAnchor(c);
                    if (!contains(names, name)) {
                        names.add(name);
                    }
                }
            }
            return tree;
        });
    }

    /**
     * {@code trust add-anchor}: adds every certificate of {@code certificateFile} to the policy's trust anchors
     * (certificates already trusted are skipped; when all are, nothing is written and {@link Change#changed()} is
     * false).
     *
     * @throws NodeTrustException when there is no trust store or the file holds no readable certificate
     */
    public Change addAnchors(Path certificateFile) throws IOException {
        List<X509Certificate> certs = readCertificates(null, "anchor", certificateFile);
        return change(() -> {
            ObjectNode tree = current();
            Set<String> trusted = new LinkedHashSet<>();
            for (X509Certificate c : currentAnchors(tree)) {
                trusted.add(fingerprint(c));
            }
            ArrayNode names = anchorList(tree);
            boolean added = false;
            for (X509Certificate c : certs) {
                if (trusted.add(fingerprint(c))) {
                    names.add(writeAnchor(c));
                    added = true;
                }
            }
            return added ? tree : null;
        });
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
        String fp = sha256Fingerprint.toLowerCase(Locale.ROOT).replace(":", "");
        if (fp.startsWith("sha256")) {
            fp = fp.substring("sha256".length());
        }
        if (!fp.matches("[0-9a-f]{64}")) {
            throw new NodeTrustException(policyFile, "not a SHA-256 fingerprint (64 hex digits): " + sha256Fingerprint);
        }
        String wanted = fp;
        return change(() -> {
            ObjectNode tree = current();
            ArrayNode names = tree.arrayNode();
            boolean found = false;
            for (String p : paths(policyFile, tree, "trustAnchors")) {
                List<X509Certificate> certs = readCertificates(policyFile, "trustAnchors", config.resolve(p));
                if (certs.stream().noneMatch(c -> fingerprint(c).equals(wanted))) {
                    names.add(p);
                    continue;
                }
                found = true;
                for (X509Certificate c : certs) {
                    if (!fingerprint(c).equals(wanted)) {
                        names.add(writeAnchor(c));
                    }
                }
            }
            if (!found) {
                throw new NodeTrustException(policyFile, "no trust anchor of " + policyFile + " has the SHA-256 fingerprint "
                        + wanted + " ('veripack trust show' lists them)");
            }
            if (names.isEmpty() && paths(policyFile, tree, "openpgpKeyrings").isEmpty()) {
                throw new NodeTrustException(policyFile, "removing " + wanted + " would leave " + policyFile
                        + " without any trust anchor: set a new one first (trust add-anchor or trust set)");
            }
            tree.set("trustAnchors", names);
            return tree;
        });
    }

    /** Builds the new policy tree (its files already written under {@code config/trust/}), or null for "no change". */
    @FunctionalInterface
    private interface Edit {
        ObjectNode apply() throws IOException;
    }

    /**
     * Under the trust lock: prepares the root and {@code config/}, applies {@code edit}, validates the new policy with
     * {@link TrustPolicyLoader} next to the real file, replaces {@code policy.yaml} atomically and removes the files
     * no policy names any more.
     */
    private Change change(Edit edit) throws IOException {
        prepare();
        try (FileChannel ch = FileChannel.open(config.resolve("trust.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = ch.lock()) {
            removeTemporaries();
            String oldDigest = digestOrInvalid();
            byte[] bytes;
            TrustPolicy next;
            try {
                ObjectNode tree = edit.apply();
                if (tree == null) {
                    collectGarbage();
                    return new Change(oldDigest, oldDigest, fingerprints(load()), false);
                }
                bytes = YAML.writeValueAsBytes(tree);
                next = validate(bytes);
            } catch (NodeTrustException e) {
                collectGarbage(); // the files copied for the refused change
                throw e;
            }
            // recorded before the policy takes effect: a crash in between leaves a configuration recorded that was
            // never in force, never a slot installed under a configuration the history lacks
            recordInHistory(next);
            DurableFiles.writeAtomically(policyFile, bytes);
            Files.setPosixFilePermissions(policyFile, PosixFilePermissions.fromString("rw-r--r--"));
            collectGarbage();
            TrustPolicy now = load();
            String newDigest = digest(now);
            return new Change(oldDigest, newDigest, fingerprints(now), !newDigest.equals(oldDigest));
        }
    }

    /** Loads {@code bytes} as a policy next to the real file (same relative paths), exactly as {@link #load()} will. */
    private TrustPolicy validate(byte[] bytes) throws IOException {
        Path probe = config.resolve(policyFile.getFileName() + DurableFiles.tempSuffix());
        try {
            Files.write(probe, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            return TrustPolicyLoader.load(probe);
        } catch (PolicyException e) {
            throw new NodeTrustException(policyFile, "the new trust policy would be invalid: "
                    + e.getMessage().replace(probe.toString(), policyFile.toString()));
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    private String digestOrInvalid() throws IOException {
        try {
            return digest();
        } catch (NodeTrustException e) {
            return "invalid"; // a trust set may replace an invalid policy
        }
    }

    private static List<String> fingerprints(TrustPolicy p) {
        return p.trustAnchors().stream().map(NodeTrust::fingerprint).toList();
    }

    /**
     * A missing node root is created as {@code install} creates it (every directory with its safe mode); an existing
     * one must pass StrictModes up to {@code /} (only the root's own chain: its installers' work directories are
     * theirs); then {@code config/} and {@code config/trust/} are created 0755 when missing and checked.
     */
    private void prepare() throws IOException {
        NodeLayout layout = new NodeLayout(root);
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            layout.prepare(true, true, NodeAccess.Caller.current().uid());
        } else {
            if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
                throw new UnsafeNodeRootException(root, "not a directory");
            }
            try {
                NodeAccess.requireProtected(root, NodeAccess.ownerUid(root));
            } catch (NodeAccess.UnsafeFileException e) {
                throw new UnsafeNodeRootException(e.file(), e.getMessage().substring(e.file().toString().length() + 2));
            }
            if (!layout.exists() || !Files.isDirectory(layout.auditDir(), LinkOption.NOFOLLOW_LINKS)) {
                layout.prepare(false, true, NodeAccess.Caller.current().uid()); // the audit log and its head need them
            }
        }
        for (Path d : List.of(config, trustDir)) {
            if (!Files.exists(d, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x")); // not narrowed by the umask
                DurableFiles.fsync(d.getParent());
            }
        }
        requireProtected();
    }

    private void removeTemporaries() throws IOException {
        for (Path d : List.of(config, trustDir)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(d, "*.tmp-*")) {
                for (Path t : ds) {
                    Files.deleteIfExists(t);
                }
            }
        }
    }

    /** Deletes the files of {@code config/trust/} that the current policy does not name. */
    private void collectGarbage() throws IOException {
        Set<Path> named = new LinkedHashSet<>();
        if (exists()) {
            try {
                TrustPolicyLoader.load(policyFile).sourceFiles().forEach(f -> named.add(f.toAbsolutePath().normalize()));
            } catch (PolicyException e) {
                return; // keep everything next to an invalid policy
            }
        }
        boolean removed = false;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(trustDir)) {
            for (Path f : ds) {
                if (!named.contains(f.toAbsolutePath().normalize())) {
                    Files.deleteIfExists(f);
                    removed = true;
                }
            }
        }
        if (removed) {
            DurableFiles.fsync(trustDir);
        }
    }

    /** The current policy as a YAML tree. */
    private ObjectNode current() throws IOException {
        if (!exists()) {
            throw new NodeTrustException(policyFile, missingMessage());
        }
        JsonNode tree;
        try {
            tree = YAML.readTree(policyFile.toFile());
        } catch (IOException e) {
            throw new NodeTrustException(policyFile, "invalid node trust policy: " + policyFile + ": " + e.getMessage());
        }
        if (tree == null || !tree.isObject()) {
            throw new NodeTrustException(policyFile, "invalid node trust policy: " + policyFile + " is not a YAML mapping");
        }
        return (ObjectNode) tree;
    }

    private List<X509Certificate> currentAnchors(ObjectNode tree) throws IOException {
        List<X509Certificate> out = new ArrayList<>();
        for (String p : paths(policyFile, tree, "trustAnchors")) {
            out.addAll(readCertificates(policyFile, "trustAnchors", config.resolve(p)));
        }
        return out;
    }

    /** The policy's {@code trustAnchors} as an array node of the tree (a single string becomes a list). */
    private ArrayNode anchorList(ObjectNode tree) throws IOException {
        ArrayNode names = tree.arrayNode();
        paths(policyFile, tree, "trustAnchors").forEach(names::add);
        tree.set("trustAnchors", names);
        return names;
    }

    private static boolean contains(ArrayNode a, String s) {
        for (JsonNode n : a) {
            if (n.asText().equals(s)) {
                return true;
            }
        }
        return false;
    }

    /** The file names of {@code key}: a string or a list of strings. */
    private static List<String> paths(Path policy, JsonNode tree, String key) throws NodeTrustException {
        JsonNode n = tree.get(key);
        if (n == null || n.isNull()) {
            return List.of();
        }
        if (n.isTextual()) {
            return List.of(n.asText());
        }
        List<String> out = new ArrayList<>();
        if (n.isArray()) {
            for (JsonNode e : n) {
                if (!e.isTextual() || e.asText().isBlank()) {
                    out = null;
                    break;
                }
                out.add(e.asText());
            }
            if (out != null) {
                return out;
            }
        }
        throw new NodeTrustException(policy, policy + ": " + key + " must be a list of file names");
    }

    private static List<X509Certificate> readCertificates(Path policy, String key, Path file) throws NodeTrustException {
        try {
            return TrustPolicyLoader.readCertificates(policy, key, file);
        } catch (PolicyException e) {
            throw new NodeTrustException(file, e.getMessage());
        }
    }

    /** Writes {@code config/trust/anchor-<fingerprint>.der} (when missing); returns its name relative to {@code config/}. */
    private String writeAnchor(X509Certificate c) throws IOException {
        String name = "anchor-" + fingerprint(c) + ".der";
        try {
            writeTrustFile(name, c.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new NodeTrustException(policyFile, "cannot encode trust anchor " + c.getSubjectX500Principal() + ": " + e.getMessage());
        }
        return "trust/" + name;
    }

    /** Copies a file the policy names into {@code config/trust/<key>-<sha256>.<ext>}; returns its name relative to {@code config/}. */
    private String copyFile(Path policy, String key, Path file) throws IOException {
        byte[] bytes;
        try {
            if (!Files.isRegularFile(file) || Files.size(file) > MAX_FILE_BYTES) {
                throw new IOException("not a regular file of at most " + MAX_FILE_BYTES + " bytes");
            }
            try (InputStream in = Files.newInputStream(file)) {
                bytes = in.readNBytes((int) MAX_FILE_BYTES + 1);
            }
        } catch (IOException e) {
            throw new NodeTrustException(file, policy + ": " + key + ": cannot read " + file + ": " + e.getMessage());
        }
        String base = file.getFileName().toString();
        int dot = base.lastIndexOf('.');
        String ext = dot > 0 && base.substring(dot + 1).matches("[A-Za-z0-9]{1,8}") ? base.substring(dot) : "";
        String name = key + "-" + AuditLog.hexSha256(bytes) + ext;
        writeTrustFile(name, bytes);
        return "trust/" + name;
    }

    private void writeTrustFile(String name, byte[] bytes) throws IOException {
        Path target = trustDir.resolve(name);
        if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) && java.util.Arrays.equals(Files.readAllBytes(target), bytes)) {
            return;
        }
        DurableFiles.writeAtomically(target, bytes);
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
    }
}
