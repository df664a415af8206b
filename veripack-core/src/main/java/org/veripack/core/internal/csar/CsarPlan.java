package org.veripack.core.internal.csar;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.veripack.core.ArchiveExecuteBits;
import org.veripack.core.ArtifactType;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.SignedManifest;
import org.veripack.core.TrustPolicy;
import org.veripack.core.Warning;
import org.veripack.core.WarningCode;
import org.veripack.core.internal.manifest.Manifest;
import org.veripack.core.internal.manifest.VeripackMode;

/**
 * What to check in one CSAR, decided from its central directory and its manifest before any artifact byte is read
 * (SOL004 §5.3 manifest ↔ archive; the manifest's own rules are {@link SignedManifestRules}): which archive entry each
 * manifest entry names and with which digest, type and mode it is installed ({@code Veripack-Mode}), the external
 * artifacts and their slot paths, the TOSCA.meta file blocks with digests, unlisted files and directory entries, and
 * the tree the node will build (no path through a symlink, every symlink resolved inside the package). The
 * {@link CsarExecutor} then reads, hashes and writes what the plan lists.
 *
 * <p>What is installed is what is signed: the types and modes here are the signed ones, and directories are derived
 * from artifact paths (mode {@value #DIRECTORY_MODE}), never taken from zip entries.
 */
final class CsarPlan {
    /** Mode recorded for every directory: directories are derived from artifact paths, not from zip entries. */
    static final int DIRECTORY_MODE = 0755;

    /** Each manifest artifact of the archive, in manifest order, with what install writes for it. */
    final Map<String, Expected> expected = new LinkedHashMap<>();
    /** The external artifacts by slot path. */
    final Map<String, External> externals = new LinkedHashMap<>();
    /** What the signature binds (option 1): each manifest entry with a signed digest, as the guard will find it. */
    final List<SignedManifest.Entry> bound = new ArrayList<>();
    /** TOSCA.meta digests of files no manifest entry hashes (hashed on their own). */
    final List<MetaCheck> separateMetaChecks = new ArrayList<>();
    /** Findings and warnings of the plan, in the order the checks raise them (they join the report after the signature's). */
    final List<Finding> findings = new ArrayList<>();
    final List<Warning> warnings = new ArrayList<>();

    private final ZipArchive archive;
    private final TrustPolicy policy;
    private final boolean option1;
    private final boolean fetching;
    /** The manifest, TOSCA.meta, certificate and signature files: not artifacts. */
    private final Set<String> excluded;

    private CsarPlan(ZipArchive archive, TrustPolicy policy, boolean option1, boolean fetching, Set<String> excluded) {
        this.archive = archive;
        this.policy = policy;
        this.option1 = option1;
        this.fetching = fetching;
        this.excluded = new TreeSet<>(excluded);
    }

    /**
     * The plan of one CSAR: manifest entries ({@link #matchManifest}), TOSCA.meta file blocks with digests, archive
     * files the manifest does not list ({@code ARTIFACT_UNLISTED}), directory entries, the installed tree.
     *
     * @param metaBytes the TOSCA.meta bytes, or null without one
     * @param excluded  the manifest, TOSCA.meta and certificate files (not artifacts)
     * @param option1   the manifest must give every artifact a digest; zip modes are not signed
     * @param fetching  the policy's leave to fetch external artifacts applies (false: the node's sealed copy)
     */
    static CsarPlan of(ZipArchive archive, Manifest manifest, String manifestPath, byte[] metaBytes, Set<String> excluded,
                       boolean option1, TrustPolicy policy, boolean fetching) {
        CsarPlan plan = new CsarPlan(archive, policy, option1, fetching, excluded);
        plan.matchManifest(manifest, manifestPath);
        if (metaBytes != null) {
            plan.separateMetaChecks.addAll(plan.matchToscaMetaBlocks(metaBytes));
        }
        for (ZipArchive.Entry e : archive.entries().values()) {
            if (e.type() != ArtifactType.DIRECTORY && !plan.excluded.contains(e.path()) && !plan.expected.containsKey(e.path())) {
                plan.findings.add(Finding.of(FindingCode.ARTIFACT_UNLISTED, e.path(), "archive file is not listed in the manifest"));
            }
        }
        plan.checkDirectoryEntries();
        plan.checkInstalledTree();
        return plan;
    }

    /**
     * A package without a manifest, rejected already: its TOSCA.meta blocks with digests, still evidence worth
     * reporting; their findings go to {@code out}, the checks to hash are returned.
     */
    static List<MetaCheck> toscaMetaOnly(ZipArchive archive, byte[] metaBytes, TrustPolicy policy, List<Finding> out) {
        CsarPlan plan = new CsarPlan(archive, policy, true, false, Set.of());
        List<MetaCheck> checks = plan.matchToscaMetaBlocks(metaBytes);
        out.addAll(plan.findings);
        return checks;
    }

    /** The uncompressed bytes of the artifacts to hash (files of the archive). */
    long hashTotal() {
        return expected.values().stream().filter(x -> x.entry().type() == ArtifactType.FILE)
                .mapToLong(x -> Math.max(0, x.entry().zipEntry().getSize())).sum();
    }

    /**
     * What the manifest says about one archive entry: algorithm and digest (both null: listed only), and
     * the type and permission bits it is installed with ({@link #installedMode}).
     */
    record Expected(ZipArchive.Entry entry, String algorithm, String hashHex, ArtifactType type, int mode,
                            List<MetaCheck> also) {
        Expected(ZipArchive.Entry entry, String algorithm, String hashHex, ArtifactType type, int mode) {
            this(entry, algorithm, hashHex, type, mode, List.of());
        }

        Expected alsoChecking(MetaCheck c) {
            List<MetaCheck> more = new ArrayList<>(also);
            more.add(c);
            return new Expected(entry, algorithm, hashHex, type, mode, List.copyOf(more));
        }
    }

    /**
     * An external artifact of the manifest ({@link ExternalSource}): where it goes in the slot, its signed digest and
     * mode, and the TOSCA.meta digests that name the same URI.
     */
    record External(ExternalSource source, String algorithm, String hashHex, int mode, List<MetaCheck> also) {
        External alsoChecking(MetaCheck c) {
            List<MetaCheck> more = new ArrayList<>(also);
            more.add(c);
            return new External(source, algorithm, hashHex, mode, List.copyOf(more));
        }
    }

    /**
     * A TOSCA.meta per-file block's digest, checked like a manifest digest ({@code docs/signed-metadata.md}
     * "TOSCA.meta file blocks").
     *
     * @param entry     the archive entry it names, or null when it names an external artifact of the manifest
     *                  (then it is checked while that artifact is fetched)
     * @param algorithm JCA name, allowed by the policy
     * @param hashHex   the {@code Hash} value, trimmed, lower case
     * @param line      the block's line in TOSCA.meta
     */
    record MetaCheck(ZipArchive.Entry entry, String algorithm, String hashHex, int line) {
        String origin() { return ToscaMeta.PATH + " (block at line " + line + ")"; }
    }

    /** Type and permission bits an artifact is installed with. */
    private record Installed(ArtifactType type, int mode) { }

    /** Mode recorded for a regular file whose block has no {@code Veripack-Mode}: not executable. */
    static final int UNSIGNED_FILE_MODE = 0644;
    /** Mode recorded for such a file whose zip entry has the owner-execute bit, under {@code archiveExecuteBits: honour}. */
    static final int HONOURED_EXEC_MODE = 0755;

    /**
     * Each manifest entry by {@link SignedManifestRules}, then against the archive: a listed file must be there
     * ({@code ARTIFACT_MISSING}); in option 1 every file but the manifest, TOSCA.meta, certificate and signature files
     * needs a digest ({@code MALFORMED_PACKAGE}); its zip type and mode against the signed ones ({@link #installedMode}).
     */
    private void matchManifest(Manifest manifest, String manifestPath) {
        Map<String, String> seen = new LinkedHashMap<>();
        for (Manifest.Entry m : manifest.artifacts()) {
            Optional<ExternalSource> external = ExternalSource.of(m.source());
            if (external.isPresent()) {
                // the node's re-verification of its sealed copy skips the policy's leave: the package was installed
                SignedManifestRules.external(m, external.get(), policy, fetching, seen, findings::add).ifPresent(x -> {
                    externals.put(x.source().installPath(), new External(x.source(), x.digest().algorithm(), x.digest().hashHex(),
                            x.mode(), List.of()));
                    bound.add(new SignedManifest.Entry(x.source().installPath(), x.digest().algorithm(), x.digest().hashHex(),
                            x.signedPermissions(), SignedManifestRules.signedType(m)));
                });
                continue;
            }
            SignedManifestRules.localPath(m, seen, findings::add).ifPresent(path -> matchLocal(m, path, manifestPath));
        }
    }

    /** One manifest entry naming a file of the package, at its normalised {@code path}. */
    private void matchLocal(Manifest.Entry m, String path, String manifestPath) {
        if (m.signature() != null) {
            excluded.add(PathRules.normalise(m.signature()));
        }
        if (m.certificate() != null) {
            excluded.add(PathRules.normalise(m.certificate()));
        }
        ZipArchive.Entry e = archive.entries().get(path);
        if (path.equals(manifestPath)) {
            return; // a manifest may list itself; it cannot carry its own digest
        }
        boolean selfOrMeta = excluded.contains(path); // TOSCA.meta, certificate and signature files
        if (e == null && archive.refused().contains(path)) {
            return; // present but refused by an archive rule, whose finding (e.g. UNSAFE_PATH) names it
        }
        if (e == null || e.type() == ArtifactType.DIRECTORY) {
            findings.add(Finding.of(FindingCode.ARTIFACT_MISSING, path, "manifest lists an artifact the package does not contain"));
            return;
        }
        if (SignedManifestRules.listedOnly(m)) {
            // which files may be listed without a digest depends on the package's metadata files (TOSCA.meta)
            if (option1 && !selfOrMeta) {
                findings.add(Finding.of(FindingCode.MALFORMED_PACKAGE, path, "option-1 manifest entry without Algorithm and Hash"));
            }
            if (!selfOrMeta) {
                Installed in = installedMode(m, e);
                expected.put(path, new Expected(e, null, null, in.type(), in.mode()));
            }
            return;
        }
        Optional<SignedManifestRules.SignedDigest> digest = SignedManifestRules.digest(m, path, policy, findings::add);
        if (digest.isEmpty()) {
            return;
        }
        Installed in = installedMode(m, e);
        expected.put(path, new Expected(e, digest.get().algorithm(), digest.get().hashHex(), in.type(), in.mode()));
        bound.add(new SignedManifest.Entry(path, digest.get().algorithm(), digest.get().hashHex(),
                SignedManifestRules.signedPermissions(m), SignedManifestRules.signedType(m)));
    }

    /**
     * The TOSCA.meta file blocks that carry {@code Algorithm}/{@code Hash}, checked like manifest digests: both keys
     * ({@code MALFORMED_PACKAGE}), a safe {@code Name} ({@code UNSAFE_PATH}), an algorithm the policy allows
     * ({@code ALGORITHM_REJECTED}), a file of the archive ({@code ARTIFACT_MISSING}) or an external artifact the
     * manifest lists ({@code ARTIFACT_UNLISTED} otherwise). Blocks naming a manifest artifact join its one hashing
     * pass ({@link Expected#also()}); the others are returned and hashed by {@link CsarExecutor#checkToscaMetaDigests}.
     */
    private List<MetaCheck> matchToscaMetaBlocks(byte[] metaBytes) {
        Map<String, ZipArchive.Entry> entries = archive.entries();
        List<Finding> b = findings;
        ToscaMeta.fileBlockProblems(metaBytes).forEach(p -> b.add(Finding.of(FindingCode.MALFORMED_PACKAGE, ToscaMeta.PATH, p)));
        List<MetaCheck> separate = new ArrayList<>();
        for (ToscaMeta.FileBlock block : ToscaMeta.fileBlocks(metaBytes)) {
            if (!block.hasDigest()) {
                continue;
            }
            String name = block.name();
            String where = ToscaMeta.PATH + " block at line " + block.line();
            if (block.algorithm().isEmpty() || block.hash().isEmpty()) {
                b.add(Finding.of(FindingCode.MALFORMED_PACKAGE, ZipArchive.printable(name), where + " has only one of Algorithm and Hash"));
                continue;
            }
            Optional<String> alg = SignedManifestRules.allowedDigest(policy, block.algorithm().get(), ZipArchive.printable(name), where + ": ", b::add);
            if (alg.isEmpty()) {
                continue;
            }
            String hash = block.hash().get().strip().toLowerCase(Locale.ROOT);
            Optional<ExternalSource> external = ExternalSource.of(name);
            if (external.isPresent()) {
                String path = external.get().installPath();
                External x = path == null ? null : externals.get(path);
                if (x == null || !x.source().source().equals(name)) {
                    b.add(Finding.of(FindingCode.ARTIFACT_UNLISTED, ZipArchive.printable(name), where
                            + " names an external artifact the manifest does not list (or does not let Veripack fetch)"));
                } else {
                    externals.put(path, x.alsoChecking(new MetaCheck(null, alg.get(), hash, block.line())));
                }
                continue;
            }
            Optional<String> unsafe = PathRules.unsafeReason(name);
            if (unsafe.isPresent()) {
                b.add(Finding.of(FindingCode.UNSAFE_PATH, ZipArchive.printable(name), where + ": Name " + unsafe.get()));
                continue;
            }
            String path = PathRules.normalise(name);
            ZipArchive.Entry e = entries.get(path);
            if (e == null && archive.refused().contains(path)) {
                continue; // present but refused by an archive rule, whose finding names it
            }
            if (e == null || e.type() == ArtifactType.DIRECTORY) {
                b.add(Finding.of(FindingCode.ARTIFACT_MISSING, path, where + " names a file the package does not contain"));
                continue;
            }
            MetaCheck check = new MetaCheck(e, alg.get(), hash, block.line());
            Expected x = expected.get(path);
            if (x != null) {
                expected.put(path, x.alsoChecking(check));
            } else {
                separate.add(check);
            }
        }
        return separate;
    }

    /**
     * The type and mode artifact {@code e} is installed with, checking the zip entry against the signed
     * manifest block:
     * <ul>
     *   <li>the block has {@code Veripack-Mode} ({@link VeripackMode}): the entry's type and permission
     *       bits must equal it exactly (for a symlink only the type: links have no permission bits), else
     *       {@link FindingCode#MODE_MISMATCH} with the octal modes; the signed value is installed;</li>
     *   <li>no {@code Veripack-Mode}, inner CSAR of option 2 ({@code zipModesSigned}): the outer signature
     *       covers the inner zip's bytes, its entry types and modes included, so the entry's are installed;</li>
     *   <li>no {@code Veripack-Mode}, option 1 (third-party CSARs such as ONAP's): nothing signs the mode,
     *       so the artifact is a regular file recorded as {@value #UNSIGNED_FILE_MODE} (installed 0444); an
     *       entry marked as a symlink is {@link FindingCode#UNSAFE_PATH} (link type not covered by the
     *       signature); an execute bit in the zip is ignored with the warning {@link WarningCode#EXECUTE_BIT_IGNORED} — unless the policy says
     *       {@code archiveExecuteBits: honour} ({@link ArchiveExecuteBits}): then an owner-execute bit in the
     *       zip makes it {@value #HONOURED_EXEC_MODE} (installed 0555), with the warning
     *       {@link WarningCode#EXECUTE_BIT_FROM_ARCHIVE}. Setuid/setgid/sticky bits never get here ({@link ZipArchive}
     *       refuses them as {@link FindingCode#UNSAFE_PATH}).</li>
     * </ul>
     */
    private Installed installedMode(Manifest.Entry m, ZipArchive.Entry e) {
        boolean zipModesSigned = !option1;
        List<Finding> b = findings;
        int actual = e.type() == ArtifactType.SYMLINK ? VeripackMode.SYMLINK | e.mode() : VeripackMode.REGULAR | e.mode();
        if (m.mode() != null) {
            int signed = m.mode();
            boolean same = signed == VeripackMode.SYMLINK ? e.type() == ArtifactType.SYMLINK : signed == actual;
            if (!same) {
                b.add(Finding.mismatch(FindingCode.MODE_MISMATCH, e.path(),
                        "archive entry type or permission bits differ from the signed " + VeripackMode.KEY,
                        VeripackMode.format(signed), VeripackMode.format(actual)));
            }
            return signed == VeripackMode.SYMLINK ? new Installed(ArtifactType.SYMLINK, 0777)
                    : new Installed(ArtifactType.FILE, signed & 0777);
        }
        if (zipModesSigned) {
            return new Installed(e.type(), e.mode());
        }
        if (e.type() != ArtifactType.FILE) {
            b.add(Finding.mismatch(FindingCode.UNSAFE_PATH, e.path(),
                    "link type not covered by the signature (the manifest block has no " + VeripackMode.KEY + ")",
                    VeripackMode.format(VeripackMode.REGULAR | UNSIGNED_FILE_MODE), VeripackMode.format(actual)));
        } else if ((e.mode() & 0100) != 0 && policy.archiveExecuteBits() == ArchiveExecuteBits.HONOUR) {
            warnings.add(new Warning(WarningCode.EXECUTE_BIT_FROM_ARCHIVE, e.path(), "execute bit from the unsigned zip header installed (mode "
                    + VeripackMode.format(actual) + " in the zip, not signed: the manifest block has no " + VeripackMode.KEY
                    + "; archiveExecuteBits: honour); recorded " + VeripackMode.format(VeripackMode.REGULAR | HONOURED_EXEC_MODE)));
            return new Installed(ArtifactType.FILE, HONOURED_EXEC_MODE);
        } else if ((e.mode() & 0111) != 0) {
            warnings.add(new Warning(WarningCode.EXECUTE_BIT_IGNORED, e.path(), "execute bit in the archive ignored (mode "
                    + VeripackMode.format(actual) + " is not signed: the manifest block has no " + VeripackMode.KEY
                    + "); installed non-executable"));
        }
        return new Installed(ArtifactType.FILE, UNSIGNED_FILE_MODE);
    }

    /**
     * Zip directory entries carry no signed information: one is allowed only as an ancestor of a listed
     * artifact (or of the manifest, TOSCA.meta, certificate and signature files), otherwise
     * {@link FindingCode#ARTIFACT_UNLISTED}; one that carries data (a {@code dir/} name or a directory
     * type on any name, with bytes) is {@link FindingCode#MALFORMED_PACKAGE}.
     */
    private void checkDirectoryEntries() {
        List<Finding> b = findings;
        Set<String> allowed = new TreeSet<>();
        for (String path : expected.keySet()) {
            allowed.addAll(PathRules.ancestors(path));
        }
        for (String path : excluded) {
            ZipArchive.Entry e = archive.entries().get(path);
            if (e != null && e.type() == ArtifactType.FILE) {
                allowed.addAll(PathRules.ancestors(path));
            }
        }
        for (ZipArchive.Entry e : archive.entries().values()) {
            if (e.type() != ArtifactType.DIRECTORY) {
                continue;
            }
            if (carriesData(archive, e)) {
                b.add(Finding.of(FindingCode.MALFORMED_PACKAGE, e.path(), "directory entry carries data"));
            } else if (!allowed.contains(e.path())) {
                b.add(Finding.of(FindingCode.ARTIFACT_UNLISTED, e.path(),
                        "directory entry is not an ancestor of a listed artifact"));
            }
        }
    }

    /** True when the entry declares a size or yields any byte (or its data cannot be read). */
    private static boolean carriesData(ZipArchive archive, ZipArchive.Entry e) {
        if (e.zipEntry().getSize() > 0) {
            return true;
        }
        try (InputStream in = archive.open(e)) {
            return in.read() >= 0;
        } catch (IOException ex) {
            return true;
        }
    }

    /**
     * Checks the tree the node will build from the artifacts and their installed types: no artifact path
     * runs through a symlink artifact ({@code lib -> real} plus {@code lib/x}; compared by collision key,
     * so case variants count) → {@link FindingCode#UNSAFE_PATH}; no path is both a file and a directory →
     * {@link FindingCode#MALFORMED_PACKAGE}; every symlink resolves inside the package against its link
     * graph ({@link PathRules#resolveLink}) → else {@link FindingCode#UNSAFE_PATH}.
     */
    private void checkInstalledTree() {
        Set<String> externalPaths = externals.keySet();
        List<Finding> b = findings;
        Map<String, ArtifactType> types = new LinkedHashMap<>();
        expected.forEach((path, x) -> types.put(path, treeType(x)));
        externalPaths.forEach(path -> types.put(path, ArtifactType.FILE)); // a fetched external artifact is a file
        Map<String, String> byKey = new LinkedHashMap<>();
        types.keySet().forEach(path -> byKey.put(PathRules.collisionKey(path), path));
        for (String path : List.copyOf(types.keySet())) {
            String key = PathRules.collisionKey(path);
            for (int i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) {
                String above = byKey.get(key.substring(0, i));
                if (above == null) {
                    continue;
                }
                if (types.get(above) == ArtifactType.SYMLINK) {
                    b.add(Finding.mismatch(FindingCode.UNSAFE_PATH, path, "artifact path passes through a symlink of the package",
                            null, above + " -> " + ZipArchive.printable(expected.get(above).entry().linkTarget())));
                } else {
                    b.add(Finding.of(FindingCode.MALFORMED_PACKAGE, path,
                            "artifact path passes through " + above + ", which is a file"));
                }
                break;
            }
        }
        for (String path : List.copyOf(types.keySet())) {
            for (String dir : PathRules.ancestors(path)) {
                types.putIfAbsent(dir, ArtifactType.DIRECTORY);
            }
        }
        PathRules.Tree tree = new PathRules.Tree() {
            @Override public ArtifactType typeOf(String path) {
                return path.isEmpty() ? ArtifactType.DIRECTORY : types.get(path);
            }

            @Override public String linkTarget(String path) {
                Expected x = expected.get(path);
                return x == null ? null : x.entry().linkTarget();
            }
        };
        for (Map.Entry<String, Expected> x : expected.entrySet()) {
            if (treeType(x.getValue()) != ArtifactType.SYMLINK) {
                continue;
            }
            String target = x.getValue().entry().linkTarget();
            PathRules.LinkResolution r = PathRules.resolveLink(x.getKey(), target, tree);
            if (!r.resolved()) {
                b.add(Finding.mismatch(FindingCode.UNSAFE_PATH, x.getKey(), "symlink does not resolve inside the package: "
                        + r.problem(), null, ZipArchive.printable(target)));
            }
        }
    }

    /** The installed type, as far as the tree goes: a symlink only when signed as one and stored as one. */
    private static ArtifactType treeType(Expected x) {
        return x.type() == ArtifactType.SYMLINK && x.entry().linkTarget() == null ? ArtifactType.FILE : x.type();
    }
}
