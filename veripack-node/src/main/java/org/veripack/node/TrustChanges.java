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
import org.veripack.core.PolicyException;
import org.veripack.core.TrustPolicy;
import org.veripack.core.TrustPolicyLoader;
import org.veripack.node.internal.DurableFiles;
import org.veripack.node.internal.NodeLayout;

/**
 * The trust administrator's changes to a node's trust store ({@link NodeTrust#set}, {@link NodeTrust#setAnchors},
 * {@link NodeTrust#addAnchors}, {@link NodeTrust#removeAnchor}; docs/node.md "Trust store and who may change what"):
 * each edit builds the new policy tree with its files copied into {@code config/trust/} (one DER file per trust
 * anchor named by its fingerprint, other files byte for byte named by their SHA-256), then, under
 * {@code config/trust.lock}, the new policy is validated with {@link TrustPolicyLoader} next to the real file,
 * recorded in the trust history ({@link TrustHistory}), {@code policy.yaml} is replaced atomically and the files no
 * policy names are deleted. A crash leaves the old or the new policy, each with its files.
 */
final class TrustChanges {
    /** Policy keys whose values name files (docs/reference.md "Trust policy keys"). */
    static final List<String> FILE_KEYS = List.of("trustAnchors", "intermediates", "timestampAnchors", "crls", "openpgpKeyrings");
    /** Largest file a trust change copies (CRLs of large CAs reach tens of MiB). */
    static final long MAX_FILE_BYTES = 64L << 20;
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION));

    private final NodeTrust store;
    private final TrustHistory history;
    private final Path root;
    private final Path config;
    private final Path trustDir;
    private final Path policyFile;

    TrustChanges(NodeTrust store, TrustHistory history, Path root) {
        this.store = store;
        this.history = history;
        this.root = root;
        this.config = root.resolve("config");
        this.trustDir = config.resolve("trust");
        this.policyFile = store.policyFile();
    }

    private boolean exists() { return store.exists(); }

    private TrustPolicy load() throws IOException { return store.load(); }

    private String digest() throws IOException { return store.digest(); }

    private void requireProtected() throws IOException { store.requireProtected(); }

    private String missingMessage() { return store.missingMessage(); }

    private static String fingerprint(X509Certificate c) { return NodeTrust.fingerprint(c); }

    /** {@link NodeTrust#set}. */
    NodeTrust.Change set(Path sourcePolicy) throws IOException {
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

    /** {@link NodeTrust#setAnchors}. */
    NodeTrust.Change setAnchors(List<Path> certificateFiles) throws IOException {
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

    /** {@link NodeTrust#addAnchors}. */
    NodeTrust.Change addAnchors(Path certificateFile) throws IOException {
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

    /** {@link NodeTrust#removeAnchor}. */
    NodeTrust.Change removeAnchor(String sha256Fingerprint) throws IOException {
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
    private NodeTrust.Change change(Edit edit) throws IOException {
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
                    return new NodeTrust.Change(oldDigest, oldDigest, fingerprints(load()), false);
                }
                bytes = YAML.writeValueAsBytes(tree);
                next = validate(bytes);
            } catch (NodeTrustException e) {
                collectGarbage(); // the files copied for the refused change
                throw e;
            }
            // recorded before the policy takes effect: a crash in between leaves a configuration recorded that was
            // never in force, never a slot installed under a configuration the history lacks
            history.record(next);
            DurableFiles.writeAtomically(policyFile, bytes);
            Files.setPosixFilePermissions(policyFile, PosixFilePermissions.fromString("rw-r--r--"));
            collectGarbage();
            TrustPolicy now = load();
            String newDigest = store.digest(now);
            return new NodeTrust.Change(oldDigest, newDigest, fingerprints(now), !newDigest.equals(oldDigest));
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
