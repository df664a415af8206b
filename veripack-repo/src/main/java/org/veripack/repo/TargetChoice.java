package org.veripack.repo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.veripack.core.DebianVersion;
import org.veripack.core.FindingCode;
import org.veripack.repo.tuf.Metadata;
import org.veripack.repo.tuf.RepositoryException;
import org.veripack.repo.tuf.TrustedMetadata;

/**
 * Which target a node installs (docs/repository.md "The node's update", step 4): by package name and
 * {@code custom.veripack.version}, Debian version order (the node's anti-rollback still decides at install).
 */
final class TargetChoice {
    private TargetChoice() { }

    /**
     * The target to install: the newest {@code custom.veripack.version} among the targets whose
     * {@code custom.veripack.name} (or, without it, whose target name) is {@code packageName}; with no name, the
     * repository must list one package. With {@code wantedVersion}, the target of exactly that version. Null when
     * {@code eligible} accepts none of the versions.
     *
     * @throws RepositoryException {@code REPO_TARGET_UNKNOWN} when no target or several packages match, or several
     *                             targets cannot be ordered
     */
    static Metadata.TargetFile choose(TrustedMetadata t, String packageName, String wantedVersion, Predicate<String> eligible)
            throws RepositoryException {
        Map<String, Metadata.TargetFile> all = t.targets().metadata().targets(TrustedState.TARGETS);
        Set<String> names = new LinkedHashSet<>();
        List<Metadata.TargetFile> matches = new ArrayList<>();
        for (Metadata.TargetFile f : all.values()) {
            String name = NodeUpdate.customName(f);
            names.add(name != null ? name : f.name());
            if (packageName != null && (packageName.equals(name) || packageName.equals(f.name()))) {
                matches.add(f);
            }
        }
        if (packageName == null) {
            if (names.size() != 1) {
                throw new RepositoryException(FindingCode.REPO_TARGET_UNKNOWN, TrustedState.TARGETS, names.isEmpty()
                        ? "the repository lists no package" : "the repository lists several packages: name one with --package",
                        "one package", String.join(", ", names));
            }
            matches.addAll(all.values());
        }
        if (matches.isEmpty()) {
            throw new RepositoryException(FindingCode.REPO_TARGET_UNKNOWN, packageName, "the repository lists no such package",
                    packageName, String.join(", ", names));
        }
        String subject = packageName != null ? packageName : TrustedState.TARGETS;
        if (wantedVersion != null) {
            List<String> listed = matches.stream().map(NodeUpdate::customVersion).filter(v -> v != null).toList();
            matches.removeIf(f -> !wantedVersion.equals(NodeUpdate.customVersion(f)));
            if (matches.isEmpty()) {
                throw new RepositoryException(FindingCode.REPO_TARGET_UNKNOWN, subject,
                        "the repository lists no such version of the package", wantedVersion, String.join(", ", listed));
            }
        }
        matches.removeIf(f -> !eligible.test(NodeUpdate.customVersion(f)));
        if (matches.isEmpty()) {
            return null;
        }
        if (matches.size() > 1 && matches.stream().anyMatch(f -> NodeUpdate.customVersion(f) == null
                || !DebianVersion.isValid(NodeUpdate.customVersion(f)))) {
            throw new RepositoryException(FindingCode.REPO_TARGET_UNKNOWN, subject,
                    "several targets of this package and not all carry a valid custom.veripack.version to order them");
        }
        return Collections.max(matches, (a, b) -> matches.size() == 1 ? 0
                : DebianVersion.compare(NodeUpdate.customVersion(a), NodeUpdate.customVersion(b)));
    }
}
