package org.veripack.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.veripack.core.PolicyException;

/**
 * TS 33.117 §4.2.3.3.5 on the node: the trust store is access-controlled, only authorised users install and
 * only trust administrators change the trust ({@link NodeTrust}).
 *
 * <ul>
 *   <li>{@link #requireProtected(Path, long)} — like sshd's StrictModes: a policy, trust anchor, CRL,
 *       keyring or node-config file (and every directory above it) must not be writable by group or others
 *       and must be owned by root or by the node root's owner; a symbolic link is judged by its target
 *       and by the link's own directory chain. Violations are {@link UnsafeFileException} naming the file
 *       (CLI exit 2).</li>
 *   <li>{@code NODE/config.yaml} ({@link #loadConfig(Path)}): <pre>{@code
 * product: acme-mme                 # optional: the one package name this node runs (else fixed by the first activation)
 * authorizedInstallers:
 *   users: [release-bot]            # user names
 *   groups: [veripack-installers]   # group names (primary or supplementary membership)
 * trustAdministrators:              # who may change the node's trust store (veripack trust ...)
 *   users: [pki-admin]
 *   groups: [veripack-trust]
 * }</pre> Missing file or key: nobody is listed. {@link #isAuthorizedInstaller} and {@link #isTrustAdministrator}
 *       allow root (uid 0) and the listed users and group members — the node root's owner is not implicitly
 *       allowed.</li>
 * </ul>
 */
public final class NodeAccess {
    /** Name of the node configuration file under the node root. */
    public static final String CONFIG_FILE = "config.yaml";
    private static final long MAX_CONFIG_BYTES = 64 * 1024;
    private static final List<String> CONFIG_KEYS = List.of("authorizedInstallers", "product", "trustAdministrators");

    private NodeAccess() { }

    /** A trust or configuration file that others could change. */
    public static final class UnsafeFileException extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient Path file;
        private final String why;

        public UnsafeFileException(Path file, String why) {
            super(file + ": " + why);
            this.file = file;
            this.why = why;
        }

        /** The offending file or directory. */
        public Path file() { return file; }

        /** What is wrong with {@link #file()}, without its name (e.g. {@code writable by group or others}). */
        public String why() { return why; }
    }

    /**
     * Users and groups named by one role of {@code NODE/config.yaml}; root (uid 0) always belongs to every role.
     *
     * @param users  user names
     * @param groups group names (primary or supplementary membership)
     */
    public record Principals(Set<String> users, Set<String> groups) {
        public Principals {
            users = Set.copyOf(users);
            groups = Set.copyOf(groups);
        }

        /** Nobody besides root. */
        public static final Principals ROOT_ONLY = new Principals(Set.of(), Set.of());

        /** Root, a listed user, or a member of a listed group. */
        public boolean includes(Caller caller) {
            return caller.uid() == 0 || users.contains(caller.user()) || caller.groups().stream().anyMatch(groups::contains);
        }
    }

    /**
     * {@code NODE/config.yaml}.
     *
     * @param installers          {@code authorizedInstallers}: who may install and roll back
     * @param trustAdministrators {@code trustAdministrators}: who may change the node's trust store
     * @param product             the package name this node runs ({@code product:}), or null: then the first activation fixes it
     */
    public record NodeConfig(Principals installers, Principals trustAdministrators, String product) {
        /** No authorised installers or trust administrators besides root, no configured product. */
        public static final NodeConfig EMPTY = new NodeConfig(Principals.ROOT_ONLY, Principals.ROOT_ONLY, null);
    }

    /** The calling process's identity (real uid, user name, group names from the OS). */
    public record Caller(long uid, String user, Set<String> groups) {
        public Caller {
            Objects.requireNonNull(user, "user");
            groups = Set.copyOf(groups);
        }

        /** The identity of this JVM process ({@code com.sun.security.auth.module.UnixSystem}, {@code /etc/group}). */
        public static Caller current() throws IOException {
            com.sun.security.auth.module.UnixSystem u = new com.sun.security.auth.module.UnixSystem();
            Set<Long> gids = new LinkedHashSet<>();
            gids.add(u.getGid());
            for (long g : u.getGroups()) {
                gids.add(g);
            }
            Set<String> names = new LinkedHashSet<>();
            Path etcGroup = Path.of("/etc/group");
            if (Files.isReadable(etcGroup)) {
                for (String line : Files.readAllLines(etcGroup, StandardCharsets.UTF_8)) {
                    String[] f = line.split(":", -1);
                    if (f.length >= 4) {
                        try {
                            long gid = Long.parseLong(f[2]);
                            if (gids.contains(gid) || List.of(f[3].split(",")).contains(u.getUsername())) {
                                names.add(f[0]);
                            }
                        } catch (NumberFormatException e) {
                            // skip malformed line
                        }
                    }
                }
            }
            return new Caller(u.getUid(), u.getUsername(), names);
        }
    }

    /** The uid owning {@code path} (not following a final symlink). */
    public static long ownerUid(Path path) throws IOException {
        return ((Number) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
    }

    /**
     * StrictModes check of {@code file}: the file (its target when a link) and each directory from it up to
     * {@code /} are owned by root or {@code nodeOwnerUid} and not writable by group or others (a directory
     * with the sticky bit, such as {@code /tmp}, may be world-writable).
     *
     * @throws UnsafeFileException naming the first unsafe path
     * @throws NoSuchFileException when the file does not exist
     */
    public static void requireProtected(Path file, long nodeOwnerUid) throws UnsafeFileException, IOException {
        Path abs = file.toAbsolutePath().normalize();
        List<Path> chain = new ArrayList<>();
        chain.add(abs);
        Path real = abs.toRealPath();
        if (!real.equals(abs)) {
            chain.add(real);
        }
        for (Path start : List.copyOf(chain)) {
            for (Path p = start.getParent(); p != null; p = p.getParent()) {
                chain.add(p);
            }
        }
        for (Path p : chain) {
            if (Files.isSymbolicLink(p)) {
                continue; // the link's target is in the chain
            }
            long uid = ownerUid(p);
            int mode = ((Number) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)).intValue();
            if (uid != 0 && uid != nodeOwnerUid) {
                throw new UnsafeFileException(p, "owned by uid " + uid + ", neither root nor the node owner (uid "
                        + nodeOwnerUid + ")");
            }
            boolean sticky = (mode & 01000) != 0 && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
            if ((mode & 022) != 0 && !sticky) {
                throw new UnsafeFileException(p, "writable by group or others (mode " + Integer.toOctalString(mode & 07777) + ")");
            }
        }
    }

    /**
     * StrictModes check of one directory of a node root ({@code state/}, {@code slots/}, {@code audit/},
     * {@code staging/}) whose parent was already checked with {@link #requireProtected}: a real directory
     * (not a symbolic link), owned by root or {@code ownerUid}, not writable by group or others.
     *
     * @throws UnsafeFileException naming {@code dir}
     * @throws NoSuchFileException when it does not exist
     */
    public static void requireProtectedDirectory(Path dir, long ownerUid) throws UnsafeFileException, IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw new NoSuchFileException(dir.toString());
            }
            throw new UnsafeFileException(dir, "not a directory (a symbolic link or a file)");
        }
        long uid = ownerUid(dir);
        if (uid != 0 && uid != ownerUid) {
            throw new UnsafeFileException(dir, "owned by uid " + uid + ", neither root nor uid " + ownerUid);
        }
        int mode = ((Number) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS)).intValue();
        if ((mode & 022) != 0) {
            throw new UnsafeFileException(dir, "writable by group or others (mode " + Integer.toOctalString(mode & 07777) + ")");
        }
    }

    /**
     * Reads {@code NODE/config.yaml} (after {@link #requireProtected}); a missing file is an empty config.
     *
     * @throws PolicyException when the file is not valid YAML or has unknown keys/wrong types (CLI exit 2)
     */
    public static NodeConfig loadConfig(Path file) throws PolicyException {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return NodeConfig.EMPTY;
        }
        JsonNode root;
        try {
            if (Files.size(file) > MAX_CONFIG_BYTES) {
                throw new PolicyException(file + ": node config larger than " + MAX_CONFIG_BYTES + " bytes");
            }
            // a duplicate key (two product: lines) is an error, not "last one wins": two readers must not see two products
            root = new ObjectMapper(new YAMLFactory())
                    .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                    .readTree(file.toFile());
        } catch (IOException e) {
            throw new PolicyException(file + ": cannot read node config: " + e.getMessage(), e);
        }
        if (root == null || root.isNull() || root.isMissingNode()) {
            return NodeConfig.EMPTY;
        }
        if (!root.isObject()) {
            throw new PolicyException(file + ": node config must be a YAML mapping");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!CONFIG_KEYS.contains(k)) {
                throw new PolicyException(file + ": unknown key '" + k + "' (allowed: " + CONFIG_KEYS + ")");
            }
        }
        String product = null;
        JsonNode pn = root.get("product");
        if (pn != null && !pn.isNull()) {
            if (!pn.isTextual() || pn.asText().isBlank()) {
                throw new PolicyException(file + ": product must be a package name");
            }
            product = pn.asText();
        }
        return new NodeConfig(principals(file, root, "authorizedInstallers"), principals(file, root, "trustAdministrators"), product);
    }

    private static Principals principals(Path file, JsonNode root, String role) throws PolicyException {
        JsonNode ai = root.get(role);
        if (ai == null || ai.isNull()) {
            return Principals.ROOT_ONLY;
        }
        if (!ai.isObject()) {
            throw new PolicyException(file + ": " + role + " must be {users: [...], groups: [...]}");
        }
        for (Iterator<String> it = ai.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("users") && !k.equals("groups")) {
                throw new PolicyException(file + ": unknown key '" + role + "." + k + "' (allowed: [users, groups])");
            }
        }
        return new Principals(names(file, ai, role, "users"), names(file, ai, role, "groups"));
    }

    private static Set<String> names(Path file, JsonNode parent, String role, String key) throws PolicyException {
        JsonNode n = parent.get(key);
        Set<String> out = new LinkedHashSet<>();
        if (n == null || n.isNull()) {
            return out;
        }
        if (!n.isArray()) {
            throw new PolicyException(file + ": " + role + "." + key + " must be a list of names");
        }
        for (JsonNode e : n) {
            if (!e.isTextual() || e.asText().isBlank()) {
                throw new PolicyException(file + ": " + role + "." + key + " must be a list of non-empty names");
            }
            out.add(e.asText());
        }
        return out;
    }

    /** Root, or a user or group member named in {@code authorizedInstallers}. */
    public static boolean isAuthorizedInstaller(NodeConfig config, Caller caller) {
        return config.installers().includes(caller);
    }

    /** Root, or a user or group member named in {@code trustAdministrators} (TS 33.117: who may change the key list). */
    public static boolean isTrustAdministrator(NodeConfig config, Caller caller) {
        return config.trustAdministrators().includes(caller);
    }
}
