package org.veripack.scas.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * TS 33.117 §4.2.3.3.5 step 3: the list of trusted keys and the checking program must be protected
 * from modification by unauthorised users. Checks, for each path (directories recursively, bounded):
 * no group- or world-write permission; every ancestor directory is either not world-writable or has
 * the sticky bit (else anyone could replace the file). Records mode, owner and group as evidence.
 */
public final class AccessControlCheck {
    /** Entries inspected below one directory at most. */
    static final int MAX_ENTRIES_PER_ROOT = 2000;

    /** One inspected path. */
    public record Observation(Path path, String mode, String owner, String group, String problem) { }

    private AccessControlCheck() { }

    /** Inspects {@code paths}; missing paths are recorded (not a problem: the target may not use them). */
    public static List<Observation> inspect(List<Path> paths) {
        List<Observation> out = new ArrayList<>();
        for (Path p : paths) {
            Path abs = p.toAbsolutePath().normalize();
            if (!Files.exists(abs)) {
                out.add(new Observation(abs, "-", "-", "-", null));
                continue;
            }
            out.add(observe(abs, true));
            ancestorProblem(abs).ifPresent(out::add);
            if (Files.isDirectory(abs, LinkOption.NOFOLLOW_LINKS)) {
                try (Stream<Path> walk = Files.walk(abs)) {
                    walk.skip(1).limit(MAX_ENTRIES_PER_ROOT).map(c -> observe(c, false))
                            .filter(o -> o.problem() != null).forEach(out::add);
                } catch (IOException | java.io.UncheckedIOException e) {
                    out.add(new Observation(abs, "?", "?", "?", "cannot list: " + e.getMessage()));
                }
            }
        }
        return out;
    }

    /** The problems among {@code observations}. */
    public static List<Observation> problems(List<Observation> observations) {
        return observations.stream().filter(o -> o.problem() != null).toList();
    }

    private static Observation observe(Path p, boolean follow) {
        try {
            LinkOption[] opts = follow ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
            PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, opts);
            if (a.isSymbolicLink()) {
                return new Observation(p, "symlink", a.owner().getName(), a.group().getName(), null);
            }
            Set<PosixFilePermission> perms = a.permissions();
            String problem = null;
            if (perms.contains(PosixFilePermission.OTHERS_WRITE)) {
                problem = "writable by any user";
            } else if (perms.contains(PosixFilePermission.GROUP_WRITE)) {
                problem = "writable by group " + a.group().getName();
            }
            return new Observation(p, PosixFilePermissions.toString(perms), a.owner().getName(), a.group().getName(),
                    problem);
        } catch (IOException | UnsupportedOperationException e) {
            return new Observation(p, "?", "?", "?", "cannot read attributes: " + e.getMessage());
        }
    }

    private static java.util.Optional<Observation> ancestorProblem(Path p) {
        for (Path d = p.getParent(); d != null; d = d.getParent()) {
            try {
                PosixFileAttributes a = Files.readAttributes(d, PosixFileAttributes.class);
                boolean sticky = (((Integer) Files.getAttribute(d, "unix:mode")) & 01000) != 0;
                if (a.permissions().contains(PosixFilePermission.OTHERS_WRITE) && !sticky) {
                    return java.util.Optional.of(new Observation(d, PosixFilePermissions.toString(a.permissions()),
                            a.owner().getName(), a.group().getName(),
                            "ancestor of " + p + " is world-writable without sticky bit"));
                }
            } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
                return java.util.Optional.empty();
            }
        }
        return java.util.Optional.empty();
    }
}
