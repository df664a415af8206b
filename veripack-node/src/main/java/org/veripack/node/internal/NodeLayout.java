package org.veripack.node.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Paths of a node root (DESIGN.md "Node root layout"):
 * <pre>
 * NODE/current  -> slots/&lt;slot&gt;        NODE/previous -> slots/&lt;slot&gt;
 * NODE/slots/&lt;slot&gt;/                    read-only installed tree
 * NODE/state/versions.json                highest activated version per package, active/previous slot
 * NODE/state/last-verification.json       last verification result (install, rollback, guard, scan)
 * NODE/state/slots/&lt;slot&gt;.json / .mf     sealed record (entries, report) and signed manifest
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
    public Path auditDir() { return root.resolve("audit"); }
    public Path auditLog() { return auditDir().resolve("events.jsonl"); }
    public Path staging() { return root.resolve("staging"); }
    public Path lockFile() { return root.resolve("lock"); }

    public Path slotDir(String slot) { return slots().resolve(checkSlotName(slot)); }
    public Path recordFile(String slot) { return stateSlots().resolve(checkSlotName(slot) + ".json"); }
    public Path manifestFile(String slot) { return stateSlots().resolve(checkSlotName(slot) + ".mf"); }

    /** Creates the directories of the layout with their permissions (staging 0700, state 0700). */
    public void create() throws IOException {
        DurableFiles.ensureDirectory(root, "rwxr-xr-x");
        DurableFiles.ensureDirectory(slots(), "rwxr-xr-x");
        DurableFiles.ensureDirectory(state(), "rwx------");
        DurableFiles.ensureDirectory(stateSlots(), "rwx------");
        DurableFiles.ensureDirectory(auditDir(), "rwxr-x---");
        DurableFiles.ensureDirectory(staging(), "rwx------");
    }

    /** Whether this looks like an initialised node root. */
    public boolean exists() {
        return Files.isDirectory(slots(), LinkOption.NOFOLLOW_LINKS) && Files.isDirectory(state(), LinkOption.NOFOLLOW_LINKS);
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
        return s != null && SLOT_NAME.matcher(s).matches() && !s.contains("..") && !s.contains(".tmp-");
    }

    private static String checkSlotName(String s) {
        if (!isSlotName(s)) {
            throw new IllegalArgumentException("invalid slot name: " + s);
        }
        return s;
    }
}
