package org.veripack.node.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.veripack.node.NodeAccess;
import org.veripack.node.UnsafeNodeRootException;

/**
 * Paths of a node root (docs/node.md "Node root layout"):
 * <pre>
 * NODE/current  -> slots/&lt;slot&gt;        NODE/previous -> slots/&lt;slot&gt;
 * NODE/slots/&lt;slot&gt;/                    read-only installed tree
 * NODE/state/versions.json                highest activated version per package, active/previous slot
 * NODE/state/last-verification.json       last verification result (install, rollback, guard, scan)
 * NODE/state/slots/&lt;slot&gt;.json / .mf     sealed record (entries, trust, report) and signed manifest
 * NODE/state/slots/&lt;slot&gt;.package        sealed copy of an option-2 package
 * NODE/state/audit-head.json              line count and SHA-256 of the audit log's last line
 * NODE/audit/events.jsonl                 hash-chained audit log
 * NODE/staging/                           0700, emptied at every start
 * NODE/lock                               installer lock (FileChannel.tryLock)
 * </pre>
 */
public final class NodeLayout {
    /** Slot names: {@code <name>-<version>-<digest12>} with version colons replaced by {@code _}. */
    private static final Pattern SLOT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+~_-]{0,300}");

    private final Path root;

    public NodeLayout(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() { return root; }
    public Path current() { return root.resolve("current"); }
    public Path previous() { return root.resolve("previous"); }
    public Path slots() { return root.resolve("slots"); }
    public Path state() { return root.resolve("state"); }
    public Path stateSlots() { return state().resolve("slots"); }
    public Path versionsFile() { return state().resolve("versions.json"); }
    public Path lastVerificationFile() { return state().resolve("last-verification.json"); }
    public Path auditHeadFile() { return state().resolve("audit-head.json"); }
    public Path auditDir() { return root.resolve("audit"); }
    public Path auditLog() { return auditDir().resolve("events.jsonl"); }
    public Path staging() { return root.resolve("staging"); }
    public Path lockFile() { return root.resolve("lock"); }

    public Path slotDir(String slot) { return slots().resolve(checkSlotName(slot)); }
    public Path recordFile(String slot) { return stateSlots().resolve(checkSlotName(slot) + ".json"); }
    public Path manifestFile(String slot) { return stateSlots().resolve(checkSlotName(slot) + ".mf"); }
    /** Sealed copy of an option-2 package (its signature covers the inner CSAR, not the manifest). */
    public Path packageFile(String slot) { return stateSlots().resolve(checkSlotName(slot) + ".package"); }
    public Path configFile() { return root.resolve(NodeAccess.CONFIG_FILE); }

    /** Creates the directories of the layout with their permissions (staging 0700, state 0700), as the caller. */
    public void create() throws IOException {
        prepare(true, true, NodeAccess.Caller.current().uid());
    }

    /**
     * The node-root guard every command runs before it reads or writes anything, because
     * whoever can write there could swap slots and sealed records together (docs/node.md "Node root layout";
     * sshd StrictModes via {@link NodeAccess}): the root must be a directory that it and every directory
     * above it are owned by root or {@code callerUid} and not writable by group or others; then each of
     * {@code slots/} (0755), {@code state/} (0700), {@code state/slots/} (0700), {@code audit/} (0750) and
     * {@code staging/} (0700) is created with that mode when missing, else must be a real directory owned
     * by root or {@code callerUid} and not writable by group or others. Existing modes are never changed.
     *
     * @param createRoot    true for {@code install}: a missing root (and missing parents) is created 0755
     * @param createMissing false for a read-only check: missing directories are skipped, not created
     * @throws UnsafeNodeRootException naming the path: not a directory, not creatable, foreign-owned,
     *                                 group/world-writable or a symbolic link (CLI exit 2)
     * @throws NoSuchFileException     when the root is missing and {@code createRoot} is false
     */
    public void prepare(boolean createRoot, boolean createMissing, long callerUid) throws IOException {
        if (!Files.isDirectory(root)) {
            if (Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
                throw new UnsafeNodeRootException(root, "not a directory");
            }
            if (!createRoot) {
                throw new NoSuchFileException(root.toString(), null, "not a node root (does not exist)");
            }
            // StrictModes before mkdir: a refusal must not leave a node directory behind
            Path existing = root.toAbsolutePath().normalize().getParent();
            while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
                existing = existing.getParent();
            }
            if (existing != null) {
                try {
                    NodeAccess.requireProtected(existing, callerUid);
                } catch (NodeAccess.UnsafeFileException e) {
                    throw new UnsafeNodeRootException(e.file(), e.getMessage().substring(e.file().toString().length() + 2)
                            .replace("the node owner", "the invoking user"));
                }
            }
            try {
                Files.createDirectories(root);
                Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
            } catch (IOException e) {
                throw new UnsafeNodeRootException(root, "cannot create the node root: " + e);
            }
        }
        try {
            NodeAccess.requireProtected(root, callerUid);
            for (Path d : List.of(slots(), state(), stateSlots(), auditDir(), staging())) {
                String perms = d.equals(slots()) ? "rwxr-xr-x" : d.equals(auditDir()) ? "rwxr-x---" : "rwx------";
                if (!Files.exists(d, LinkOption.NOFOLLOW_LINKS)) {
                    if (!createMissing) {
                        continue;
                    }
                    Files.createDirectory(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(perms)));
                    Files.setPosixFilePermissions(d, PosixFilePermissions.fromString(perms)); // not narrowed by the umask
                }
                NodeAccess.requireProtectedDirectory(d, callerUid);
            }
        } catch (NodeAccess.UnsafeFileException e) {
            throw new UnsafeNodeRootException(e.file(), e.getMessage().substring(e.file().toString().length() + 2)
                    .replace("the node owner", "the invoking user"));
        }
    }

    /** Whether this looks like an initialised node root. */
    public boolean exists() {
        return Files.isDirectory(slots(), LinkOption.NOFOLLOW_LINKS) && Files.isDirectory(state(), LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * The slot {@code link} names when it is well formed and its slot directory exists; empty when the link is
     * absent, dangling, not a symlink or points outside {@code slots/}: a bad {@code previous} must not
     * take the node down, since the active version keeps running on {@code current}
     * (docs/node.md "Install sequence").
     */
    public Optional<String> validLinkedSlot(Path link) {
        try {
            Optional<String> s = linkedSlot(link);
            return s.filter(x -> Files.isDirectory(slotDir(x), LinkOption.NOFOLLOW_LINKS));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Why {@code link} is not a usable slot link (null when it is absent or valid). */
    public String linkProblem(Path link) {
        try {
            Optional<String> s = linkedSlot(link);
            if (s.isPresent() && !Files.isDirectory(slotDir(s.get()), LinkOption.NOFOLLOW_LINKS)) {
                return link.getFileName() + " is dangling: slots/" + s.get() + " does not exist";
            }
            return null;
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    /**
     * The slot a {@code current}/{@code previous} symlink names, or empty when the link is absent.
     *
     * @throws IOException when the link exists but does not have the form {@code slots/<slot>}
     *                     (someone replaced it: the guard refuses)
     */
    public Optional<String> linkedSlot(Path link) throws IOException {
        if (!Files.isSymbolicLink(link)) {
            if (Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException(link.getFileName() + " is not a symbolic link");
            }
            return Optional.empty();
        }
        String target = Files.readSymbolicLink(link).toString();
        if (!target.startsWith("slots/")) {
            throw new IOException(link.getFileName() + " points outside slots/: " + target);
        }
        String slot = target.substring("slots/".length());
        if (!isSlotName(slot)) {
            throw new IOException(link.getFileName() + " names an invalid slot: " + target);
        }
        return Optional.of(slot);
    }

    /** The relative symlink target for {@code slot}. */
    public static Path linkTarget(String slot) {
        return Path.of("slots", checkSlotName(slot));
    }

    public static boolean isSlotName(String s) {
        return s != null && SLOT_NAME.matcher(s).matches() && !s.contains("..") && !s.contains(".tmp-") && !s.endsWith(".package");
    }

    private static String checkSlotName(String s) {
        if (!isSlotName(s)) {
            throw new IllegalArgumentException("invalid slot name: " + s);
        }
        return s;
    }
}
