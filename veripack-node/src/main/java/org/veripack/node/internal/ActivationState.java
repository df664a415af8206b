package org.veripack.node.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.veripack.core.DebianVersion;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.PackageIdentity;

/**
 * The one owner of the node's activation state (docs/node.md "Node root layout", "Install sequence", "Rollback"):
 * the {@code current} and {@code previous} symlinks and {@code state/versions.json} (version floor per package with
 * its metadata key, active/previous slot as last recorded, the node's product, the version the last rollback left).
 * Every reader and writer of that state goes through this class: activation of an installed or repaired slot,
 * rollback to {@code previous}, the anti-rollback floor and product checks, and the part of recovery that repairs
 * the links and finishes an activation {@code versions.json} does not know yet.
 *
 * <p>Crash safety: each symlink is replaced by renaming a temporary link over it and {@code versions.json} by temp
 * file + fsync + rename ({@link DurableFiles}); the order of the steps below is what lets {@link #recover} finish or
 * undo what a crash interrupted. Changes are made only under the installer lock ({@link NodeLock}).
 */
public final class ActivationState {
    private static final ObjectMapper MAPPER = SealedRecord.MAPPER;
    /** The only keys a version could come from before the key was recorded with the floor. */
    private static final List<String> LEGACY_VERSION_KEYS = List.of("vnf_package_version", "pnfd_archive_version");

    private final NodeLayout layout;
    private final StateStore state;

    public ActivationState(NodeLayout layout, StateStore state) {
        this.layout = layout;
        this.state = state;
    }

    /**
     * {@code versions.json}: the durable part of the activation state.
     *
     * @param highestActivated package name to the highest version ever activated (Debian ordering)
     * @param versionKeys      package name to the metadata key that highest version was read from
     *                         ({@link PackageIdentity#versionKey()}); a name without an entry has a floor written
     *                         before the key was kept (see {@link #floorKey})
     * @param activeSlot       slot {@code current} pointed at after the last completed activation, or null
     * @param previousSlot     slot {@code previous} pointed at then, or null
     * @param product          the package name the first activation fixed for this node (one node, one product), or null
     * @param rolledBackFrom   the version the last rollback left (the active version was reached by that rollback and
     *                         has no rollback target), or null when the active version was installed
     */
    public record Versions(Map<String, String> highestActivated, Map<String, String> versionKeys, String activeSlot,
                           String previousSlot, String product, String rolledBackFrom) {
        public Versions {
            highestActivated = Map.copyOf(highestActivated);
            versionKeys = Map.copyOf(versionKeys);
        }

        /** A state whose active version was installed (not reached by a rollback). */
        public Versions(Map<String, String> highestActivated, Map<String, String> versionKeys, String activeSlot,
                        String previousSlot, String product) {
            this(highestActivated, versionKeys, activeSlot, previousSlot, product, null);
        }

        public static final Versions EMPTY = new Versions(Map.of(), Map.of(), null, null, null);

        /**
         * This state after rolling back to {@code slot} from version {@code fromVersion}: no previous slot (the
         * version rolled back from is no rollback target), the floor and its key unchanged.
         */
        public Versions rolledBack(String slot, String fromVersion) {
            return new Versions(highestActivated, versionKeys, slot, null, product, fromVersion);
        }

        /** This state with {@link #rolledBackFrom} set to {@code fromVersion} (kept across a repair of the active slot). */
        public Versions withRolledBackFrom(String fromVersion) {
            return new Versions(highestActivated, versionKeys, activeSlot, previousSlot, product, fromVersion);
        }

        public Optional<String> highest(String name) {
            return Optional.ofNullable(highestActivated.get(name));
        }

        /** The metadata key the floor of {@code name} was read from, or empty when unknown (an older floor). */
        public Optional<String> floorKey(String name) {
            return Optional.ofNullable(versionKeys.get(name));
        }

        /**
         * This state after activating {@code slot} of {@code id}: the floor only rises, among versions read from
         * the same metadata key; a version from another key (installed with {@code antiRollback: false}) replaces
         * the floor and its key, since versions of different keys have no order.
         */
        public Versions activated(PackageIdentity id, String slot, String previous) {
            Map<String, String> h = new LinkedHashMap<>(highestActivated);
            Map<String, String> k = new LinkedHashMap<>(versionKeys);
            String old = h.get(id.name());
            boolean sameKey = sameVersionKey(k.get(id.name()), id.versionKey());
            if (old == null || !DebianVersion.isValid(old) || !sameKey || DebianVersion.compare(id.version(), old) > 0) {
                h.put(id.name(), id.version());
                if (id.versionKey() != null) {
                    k.put(id.name(), id.versionKey());
                } else {
                    k.remove(id.name());
                }
            }
            return new Versions(h, k, slot, previous, product != null ? product : id.name());
        }
    }

    /**
     * The active slot ({@code current}), or empty when nothing is installed.
     *
     * @throws IOException when {@code current} exists but is not a symlink of the form {@code slots/<slot>}: someone
     *                     replaced it (tampering, not a crash: the guard refuses)
     */
    public Optional<String> current() throws IOException {
        return layout.linkedSlot(layout.current());
    }

    /** The rollback target ({@code previous}) when it is a well-formed link to an existing slot, else empty. */
    public Optional<String> previous() {
        return layout.validLinkedSlot(layout.previous());
    }

    /** Why {@code previous} is not a usable link (dangling, not a symlink, outside {@code slots/}), or null. */
    public String previousProblem() {
        return layout.linkProblem(layout.previous());
    }

    /** The slots the activation state references ({@code current}, a valid {@code previous}): what garbage collection keeps. */
    public Set<String> referencedSlots() throws IOException {
        Set<String> keep = new LinkedHashSet<>();
        current().ifPresent(keep::add);
        previous().ifPresent(keep::add);
        return keep;
    }

    /** {@code versions.json} as recorded ({@link Versions#EMPTY} before the first activation). */
    public Versions versions() throws IOException {
        JsonNode o;
        try {
            o = MAPPER.readTree(Files.readAllBytes(layout.versionsFile()));
        } catch (NoSuchFileException e) {
            return Versions.EMPTY;
        }
        Map<String, String> h = new LinkedHashMap<>();
        o.path("highestActivated").fields().forEachRemaining(e -> h.put(e.getKey(), e.getValue().asText()));
        Map<String, String> k = new LinkedHashMap<>();
        o.path("versionKeys").fields().forEachRemaining(e -> k.put(e.getKey(), e.getValue().asText()));
        return new Versions(h, k, textOrNull(o, "activeSlot"), textOrNull(o, "previousSlot"), textOrNull(o, "product"),
                textOrNull(o, "rolledBackFrom"));
    }

    /**
     * Replaces {@code versions.json} (temp + fsync + rename, under the installer lock). The methods below are its
     * writers; tests use it to stage the state a crash leaves behind.
     */
    public void writeVersions(Versions v) throws IOException {
        ObjectNode o = MAPPER.createObjectNode();
        ObjectNode h = o.putObject("highestActivated");
        v.highestActivated().forEach(h::put);
        ObjectNode k = o.putObject("versionKeys");
        v.versionKeys().forEach(k::put);
        o.put("activeSlot", v.activeSlot());
        o.put("previousSlot", v.previousSlot());
        o.put("product", v.product());
        o.put("rolledBackFrom", v.rolledBackFrom());
        DurableFiles.writeAtomically(layout.versionsFile(), MAPPER.writeValueAsBytes(o));
    }

    private static String textOrNull(JsonNode o, String f) {
        JsonNode v = o.get(f);
        return v == null || v.isNull() ? null : v.asText();
    }

    /**
     * Activates {@code slot} of a newly installed {@code id}: {@code previous -> newPrevious} (or removed), then
     * {@code current -> slot}, each an atomic rename, then {@code versions.json} (floor raised, active and previous
     * slot, no rollback left behind). A crash after the {@code current} rename and before {@code versions.json} is
     * finished by {@link #recover}.
     */
    public void activate(PackageIdentity id, String slot, String newPrevious) throws IOException {
        switchLinks(slot, newPrevious);
        writeVersions(versions().activated(id, slot, newPrevious));
    }

    /**
     * As {@link #activate}, for a repair: the active version re-activated from freshly verified bytes in a new slot
     * directory. It is still the version a rollback reached, if it was ({@link Versions#rolledBackFrom} kept).
     */
    public void activateRepair(PackageIdentity id, String slot, String previous) throws IOException {
        switchLinks(slot, previous);
        Versions before = versions();
        writeVersions(before.activated(id, slot, previous).withRolledBackFrom(before.rolledBackFrom()));
    }

    /** {@code previous -> newPrevious} (or removed), then {@code current -> newCurrent}; each an atomic rename. */
    private void switchLinks(String newCurrent, String newPrevious) throws IOException {
        if (newPrevious != null) {
            DurableFiles.replaceSymlink(layout.previous(), NodeLayout.linkTarget(newPrevious));
        } else {
            Files.deleteIfExists(layout.previous());
        }
        Failpoints.hit("activate.previous-switched");
        DurableFiles.replaceSymlink(layout.current(), NodeLayout.linkTarget(newCurrent));
        Failpoints.hit("activate.current-switched");
    }

    /**
     * Makes the rollback target {@code target} (re-verified by the caller) active in place of the version
     * {@code fromVersion}: {@code versions.json} first (active = target, no previous, rolled back from
     * {@code fromVersion}; the floor unchanged), then {@code current -> target} by atomic rename, then the
     * {@code previous} link removed (the version rolled back from is no rollback target). A crash before the
     * {@code current} rename leaves the old version active, which {@link #recover} records again
     * ({@code versions.json} follows {@code current}); a crash after it leaves {@code previous} naming
     * {@code current}, which recovery removes.
     */
    public void rollBackTo(String target, String fromVersion) throws IOException {
        writeVersions(versions().rolledBack(target, fromVersion));
        Failpoints.hit("rollback.versions-written");
        DurableFiles.replaceSymlink(layout.current(), NodeLayout.linkTarget(target));
        Failpoints.hit("rollback.current-switched");
        Files.deleteIfExists(layout.previous());
        DurableFiles.fsync(layout.root());
        Failpoints.hit("rollback.previous-removed");
    }

    /**
     * The activation part of recovery (under the lock, after staging and temporary files are gone): removes a bad
     * {@code previous} link, restores {@code previous} if a crash hit between the two renames of an activation,
     * removes a {@code previous} naming {@code current} (a slot is never its own rollback target), removes a dangling
     * one, and finishes an activation {@code versions.json} does not know yet (raising the floor).
     *
     * @param notes receives one line for each thing it changed
     * @return the slots still referenced ({@code current}, {@code previous}): what garbage collection keeps
     * @throws IOException when {@code current} was replaced (the caller checks that first: tampering is not repaired)
     */
    public Set<String> recover(List<String> notes) throws IOException {
        Optional<String> current = current();
        String badPrevious = previousProblem();
        if (badPrevious != null) {
            Files.delete(layout.previous());
            DurableFiles.fsync(layout.root());
            notes.add("removed a bad previous link (" + badPrevious + ")");
        }
        Optional<String> previous = layout.linkedSlot(layout.previous());
        Versions v = versions();
        if (current.isPresent() && previous.equals(current) && v.previousSlot() != null
                && !v.previousSlot().equals(current.get()) && Files.isDirectory(layout.slotDir(v.previousSlot()), LinkOption.NOFOLLOW_LINKS)
                && Objects.equals(v.activeSlot(), current.get())) {
            DurableFiles.replaceSymlink(layout.previous(), NodeLayout.linkTarget(v.previousSlot()));
            previous = Optional.of(v.previousSlot());
            notes.add("restored previous -> " + v.previousSlot() + " (interrupted activation)");
        }
        if (current.isPresent() && previous.equals(current)) {
            // a slot is never its own rollback target: a rollback that switched current but died before removing
            // previous, or an install that died between its two renames on a node without a previous version
            Files.delete(layout.previous());
            DurableFiles.fsync(layout.root());
            previous = Optional.empty();
            notes.add("removed previous -> " + current.get() + " (it named the active slot: interrupted activation or rollback)");
        }
        if (previous.isPresent() && !Files.isDirectory(layout.slotDir(previous.get()), LinkOption.NOFOLLOW_LINKS)) {
            Files.deleteIfExists(layout.previous());
            notes.add("removed dangling previous -> " + previous.get());
            previous = Optional.empty();
        }
        if (current.isPresent() && !current.get().equals(v.activeSlot())) {
            Optional<SealedRecord> r = state.readRecord(current.get());
            if (r.isPresent()) {
                writeVersions(v.activated(r.get().identity(), current.get(), previous.orElse(null)));
                notes.add("completed the activation of " + current.get());
            }
        }
        Set<String> keep = new LinkedHashSet<>();
        current.ifPresent(keep::add);
        previous.ifPresent(keep::add);
        return keep;
    }

    /** The product fixed by the first activation: {@code versions.json} {@code product}, else the active slot's name. */
    public Optional<String> product() throws IOException {
        Versions v = versions();
        if (v.product() != null) {
            return Optional.of(v.product());
        }
        if (v.highestActivated().size() == 1) {
            return Optional.of(v.highestActivated().keySet().iterator().next());
        }
        Optional<String> cur = layout.validLinkedSlot(layout.current());
        if (cur.isPresent()) {
            try {
                return state.readRecord(cur.get()).map(r -> r.identity().name());
            } catch (IOException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /**
     * Anti-rollback: the version must not be lower (Debian ordering) than the highest one activated, and
     * must be read from the same metadata key as that one ({@link PackageIdentity#versionKey()}): a
     * {@code vnf_software_version} and a {@code vnf_package_version} have no order between them, so a
     * package whose version comes from another key is refused too ({@code docs/node.md}).
     *
     * @return a {@link FindingCode#VERSION_ROLLBACK} finding, or empty when allowed (always when {@code antiRollback}
     *         is false)
     */
    public Optional<Finding> checkFloor(PackageIdentity id, boolean antiRollback) throws IOException {
        if (!antiRollback) {
            return Optional.empty();
        }
        Versions v = versions();
        Optional<String> floor = v.highest(id.name());
        if (floor.isEmpty() || !DebianVersion.isValid(floor.get())) {
            return Optional.empty();
        }
        String floorKey = v.floorKey(id.name()).orElse(null);
        if (!sameVersionKey(floorKey, id.versionKey())) {
            return Optional.of(Finding.mismatch(FindingCode.VERSION_ROLLBACK, "package",
                    "version is read from another metadata key than the highest version activated on this node ("
                            + floor.get() + "), so the two cannot be ordered",
                    floorKey != null ? floorKey : String.join(" or ", LEGACY_VERSION_KEYS), id.versionKey()));
        }
        if (DebianVersion.compare(id.version(), floor.get()) < 0) {
            return Optional.of(lowerThanFloor(floor.get(), id.version()));
        }
        return Optional.empty();
    }

    /**
     * The order half of {@link #checkFloor} for a version known before its package is (a repository's claim): a
     * {@link FindingCode#VERSION_ROLLBACK} finding when {@code version} is lower (Debian ordering) than the highest
     * version of {@code name} activated here. Empty when anti-rollback is off, no floor is recorded, or either version
     * is not a valid Debian version; {@link #checkFloor} of the package's own identity stays the rule.
     */
    public Optional<Finding> checkFloorOrder(String name, String version, boolean antiRollback) throws IOException {
        if (!antiRollback || !DebianVersion.isValid(version)) {
            return Optional.empty();
        }
        Optional<String> floor = versions().highest(name);
        if (floor.isEmpty() || !DebianVersion.isValid(floor.get()) || DebianVersion.compare(version, floor.get()) >= 0) {
            return Optional.empty();
        }
        return Optional.of(lowerThanFloor(floor.get(), version));
    }

    private static Finding lowerThanFloor(String floor, String version) {
        return Finding.mismatch(FindingCode.VERSION_ROLLBACK, "package",
                "version is lower than the highest version ever activated on this node", floor, version);
    }

    /**
     * Whether a version read from {@code key} can be ordered against a floor read from {@code floorKey}; null
     * means unknown: a floor or sealed record written before the key was kept, whose version came from
     * {@code vnf_package_version} or {@code pnfd_archive_version} (the only version keys read then).
     */
    static boolean sameVersionKey(String floorKey, String key) {
        if (floorKey == null || key == null) {
            String known = floorKey != null ? floorKey : key;
            return known == null || LEGACY_VERSION_KEYS.contains(known);
        }
        return floorKey.equals(key);
    }
}
