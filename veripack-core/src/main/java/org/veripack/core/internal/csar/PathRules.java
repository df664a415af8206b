package org.veripack.core.internal.csar;

import java.text.Normalizer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.veripack.core.ArtifactType;

/**
 * Archive entry name rules (docs/signed-metadata.md "Modes, directories and links"; zip-slip, APPNOTE.TXT
 * §4.4.17 file names): what makes a name unsafe, how names are
 * normalised, and the key under which two names count as the same artifact.
 */
public final class PathRules {
    private PathRules() { }

    /**
     * Why {@code name} is unsafe, or empty when it is acceptable: NUL/CR/LF, backslash, absolute path,
     * drive letter, {@code ..} segment, or nothing left after normalisation.
     */
    public static Optional<String> unsafeReason(String name) {
        if (name.isEmpty()) {
            return Optional.of("empty name");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == 0 || c == '\r' || c == '\n') {
                return Optional.of("control character in name");
            }
        }
        if (name.indexOf('\\') >= 0) {
            return Optional.of("backslash in name");
        }
        if (name.startsWith("/")) {
            return Optional.of("absolute path");
        }
        if (name.length() >= 2 && name.charAt(1) == ':' && Character.isLetter(name.charAt(0))) {
            return Optional.of("drive letter");
        }
        for (String segment : name.split("/", -1)) {
            if (segment.equals("..")) {
                return Optional.of("'..' segment");
            }
        }
        if (normalise(name).isEmpty()) {
            return Optional.of("name is only '.' or '/' segments");
        }
        return Optional.empty();
    }

    /** Every proper ancestor directory of a normalised {@code path} ({@code a/b/c} → {@code a}, {@code a/b}). */
    public static List<String> ancestors(String path) {
        List<String> out = new ArrayList<>();
        for (int i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
            out.add(path.substring(0, i));
        }
        return out;
    }

    /** Drops empty and {@code .} segments and a trailing {@code /}; callers reject {@code ..} first. */
    public static String normalise(String name) {
        StringBuilder sb = new StringBuilder();
        for (String segment : name.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (sb.length() > 0) {
                sb.append('/');
            }
            sb.append(segment);
        }
        return sb.toString();
    }

    /**
     * The key under which two names denote the same artifact on some file system: normalised, Unicode
     * NFC, lower case (case-insensitive file systems).
     */
    public static String collisionKey(String normalisedName) {
        return Normalizer.normalize(normalisedName, Normalizer.Form.NFC).toLowerCase(Locale.ROOT);
    }

    /** Why a symlink target with an empty or {@code .} segment (or a trailing {@code /}) is refused. */
    public static final String NOT_CANONICAL =
            "symlink target not in canonical form (empty or '.' segment, or trailing '/')";

    /** Most symbolic links followed while resolving one link target (Linux {@code MAXSYMLINKS}). */
    public static final int MAX_LINK_FOLLOWS = 40;

    /**
     * Why a symlink {@code target} stored at {@code linkPath} is unsafe on its own, or empty: empty target,
     * absolute path, backslash, drive letter, NUL/CR/LF, a target not in canonical form, or a target that
     * climbs above the package root even read as text (a {@code ..} with nothing left to remove). A target
     * that passes still has to pass {@link #resolveLink} against the package's link graph.
     *
     * <p>Canonical form: {@code /}-separated segments, none empty (no trailing {@code /}, no {@code //})
     * and none {@code .}. {@code java.nio.file.Path} drops empty segments, so a node creating the link
     * from a non-canonical text would install a different target than the signed one and then report
     * its own slot as tampered; {@code Path.of(t).toString().equals(t)} holds for every canonical {@code t}.
     */
    public static Optional<String> linkTargetUnsafeReason(String linkPath, String target) {
        if (target.isEmpty()) {
            return Optional.of("empty symlink target");
        }
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c == 0 || c == '\r' || c == '\n') {
                return Optional.of("control character in symlink target");
            }
        }
        if (target.startsWith("/")) {
            return Optional.of("absolute symlink target");
        }
        if (target.indexOf('\\') >= 0) {
            return Optional.of("backslash in symlink target");
        }
        if (target.length() >= 2 && target.charAt(1) == ':' && Character.isLetter(target.charAt(0))) {
            return Optional.of("drive letter in symlink target");
        }
        for (String segment : target.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".")) {
                return Optional.of(NOT_CANONICAL);
            }
        }
        int depth = linkPath.split("/").length - 1;
        for (String segment : target.split("/")) {
            if (segment.equals("..")) {
                if (--depth < 0) {
                    return Optional.of("symlink target leaves the package root");
                }
            } else if (!segment.isEmpty() && !segment.equals(".")) {
                depth++;
            }
        }
        return Optional.empty();
    }

    /**
     * The installed tree a link is resolved in: the package's artifacts with their signed types and the
     * directories their paths imply.
     */
    public interface Tree {
        /**
         * @param path normalised path; {@code ""} is the package root
         * @return the type of the node at {@code path} (the root is a directory), or null when there is none
         */
        ArtifactType typeOf(String path);

        /** The stored target of the symlink at {@code path} (only asked for paths typed {@code SYMLINK}). */
        String linkTarget(String path);
    }

    /**
     * The outcome of {@link #resolveLink}: the normalised path the link ends at ({@code ""} = the package
     * root), or why it is refused.
     */
    public record LinkResolution(String path, String problem) {
        public boolean resolved() { return problem == null; }
    }

    /**
     * Resolves the symlink at {@code linkPath} with {@code target} the way the kernel would inside the slot
     * (path_resolution(7)), but against the package's own link graph: component by component, starting
     * in the link's directory; {@code .} is skipped, {@code ..} goes to the parent of the directory
     * reached so far (after links were followed, as the kernel does), a component that is another
     * symlink of the package is replaced by that link's target (at most {@link #MAX_LINK_FOLLOWS} links
     * per resolution). It is refused when
     * <ul>
     *   <li>the target is unsafe on its own ({@link #linkTargetUnsafeReason}) or a followed link's is;</li>
     *   <li>a {@code ..} would climb above the package root at any step;</li>
     *   <li>more than {@link #MAX_LINK_FOLLOWS} links are followed (a loop);</li>
     *   <li>a component does not exist in the package, or a regular file is used as a directory
     *       (a dangling link: harmless in a read-only slot, but it points at nothing the signature
     *       covers, so Veripack refuses it);</li>
     *   <li>the link ends at the package root itself ({@code m -> .} is already not canonical;
     *       {@code Files/self -> ..}): the node refuses such a link, so verify refuses it too.</li>
     * </ul>
     * A resolved link ends at an artifact (regular file) or a directory of the package below the root.
     */
    public static LinkResolution resolveLink(String linkPath, String target, Tree tree) {
        Optional<String> unsafe = linkTargetUnsafeReason(linkPath, target);
        if (unsafe.isPresent()) {
            return new LinkResolution(null, unsafe.get());
        }
        Deque<String> dir = new ArrayDeque<>();
        String[] base = linkPath.split("/");
        for (int i = 0; i < base.length - 1; i++) {
            dir.addLast(base[i]);
        }
        Deque<String> todo = new ArrayDeque<>(List.of(target.split("/", -1)));
        int follows = 1;
        while (!todo.isEmpty()) {
            String c = todo.pollFirst();
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                if (dir.isEmpty()) {
                    return new LinkResolution(null, "'..' climbs above the package root");
                }
                dir.removeLast();
                continue;
            }
            String p = dir.isEmpty() ? c : String.join("/", dir) + "/" + c;
            ArtifactType type = tree.typeOf(p);
            if (type == null) {
                return new LinkResolution(null, "dangling: nothing at '" + p + "' in the package");
            }
            if (type == ArtifactType.SYMLINK) {
                if (++follows > MAX_LINK_FOLLOWS) {
                    return new LinkResolution(null, "more than " + MAX_LINK_FOLLOWS + " symbolic links followed (loop)");
                }
                String next = tree.linkTarget(p);
                Optional<String> bad = next == null ? Optional.of("no target") : linkTargetUnsafeReason(p, next);
                if (bad.isPresent()) {
                    return new LinkResolution(null, "through '" + p + "': " + bad.get());
                }
                String[] parts = next.split("/", -1);
                for (int i = parts.length - 1; i >= 0; i--) {
                    todo.addFirst(parts[i]);
                }
                continue;
            }
            if (type == ArtifactType.FILE && !todo.isEmpty()) {
                return new LinkResolution(null, "dangling: '" + p + "' is a file, not a directory");
            }
            dir.addLast(c);
        }
        if (dir.isEmpty()) {
            return new LinkResolution(null, "resolves to the package root itself");
        }
        return new LinkResolution(String.join("/", dir), null);
    }
}
