package org.veripack.core.internal.csar;

import java.text.Normalizer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.Optional;

/**
 * Archive entry name rules (DESIGN.md "Security rules"): what makes a name unsafe, how names are
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

    /**
     * Resolves a symlink {@code target} relative to the directory of {@code linkPath}; returns the
     * normalised path inside the package, or empty when the target is absolute, unsafe or leaves the
     * package root.
     */
    public static Optional<String> resolveLink(String linkPath, String target) {
        if (target.isEmpty() || target.startsWith("/") || target.indexOf('\\') >= 0 || target.indexOf(0) >= 0
                || (target.length() >= 2 && target.charAt(1) == ':' && Character.isLetter(target.charAt(0)))) {
            return Optional.empty();
        }
        Deque<String> stack = new ArrayDeque<>();
        String[] base = linkPath.split("/");
        for (int i = 0; i < base.length - 1; i++) {
            stack.addLast(base[i]);
        }
        for (String segment : target.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                if (stack.isEmpty()) {
                    return Optional.empty();
                }
                stack.removeLast();
            } else {
                stack.addLast(segment);
            }
        }
        return Optional.of(String.join("/", stack));
    }
}
