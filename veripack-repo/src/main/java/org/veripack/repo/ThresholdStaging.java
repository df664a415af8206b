package org.veripack.repo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.veripack.core.FindingCode;
import org.veripack.core.PolicyException;
import org.veripack.repo.RepositoryFiles.Current;
import org.veripack.repo.TufRepository.Pending;
import org.veripack.repo.TufRepository.Role;
import org.veripack.repo.TufRepository.Signing;
import org.veripack.repo.tuf.Metadata;
import org.veripack.repo.tuf.RepositoryException;
import org.veripack.repo.tuf.TrustedMetadata;
import org.veripack.repo.tuf.TufKey;

/**
 * Threshold roles (docs/repository.md "Threshold roles: offline key holders"): root or targets metadata short of its
 * threshold waits in {@code DIR/staged/} (not part of the TUF layout) with the signatures it has; each offline holder
 * adds one; the signature that meets the threshold, decided by the client's own checks ({@link TrustedMetadata}),
 * publishes it with a new snapshot and timestamp. One change is staged at a time.
 */
record ThresholdStaging(RepositoryFiles files, MetadataSigner signer, Publication publication) {

    /** The staged files ({@code N.root.json}, {@code N.targets.json}) and what each still needs. */
    List<Pending> staged() throws IOException {
        List<Pending> out = new ArrayList<>();
        if (!Files.isDirectory(files.stagedDir())) {
            return out;
        }
        Current cur = files.current();
        try (var staged = Files.list(files.stagedDir())) {
            for (Path f : staged.filter(p -> p.getFileName().toString().matches("[0-9]+\\.(root|targets)\\.json")).sorted().toList()) {
                String n = f.getFileName().toString();
                Role role = n.endsWith(".root.json") ? Role.ROOT : Role.TARGETS;
                out.add(pending(cur, role, n, Files.readAllBytes(f)));
            }
        }
        return out;
    }

    /** @throws PolicyException when something is staged: it must be completed or removed before another change */
    void requireNothingStaged() throws IOException, PolicyException {
        List<Pending> p = staged();
        if (!p.isEmpty()) {
            throw new PolicyException("staged/" + p.get(0).file() + " awaits signatures (" + p.get(0).needs()
                    + "): complete it with veripack repo sign, or remove it, before another change");
        }
    }

    /**
     * Whether {@code bytes} carry enough signatures to publish, decided by the client's own checks: targets, a
     * threshold of the current root's targets keys (§5.6.3); root, a threshold of the current root's root keys and
     * of its own, and the next version (§5.3.4, §5.3.5).
     */
    boolean complete(Current cur, Role role, byte[] bytes) throws IOException {
        try {
            if (role == Role.ROOT) {
                TrustedMetadata.fromRoot(Files.readAllBytes(files.metadataDir().resolve(cur.root().version() + ".root.json")))
                        .withRoot(bytes);
            } else {
                TrustedMetadata.verifyRole(role.id() + ".json", cur.root(), Metadata.parse(role.id() + ".json", bytes, role.id()), role.id());
            }
            return true;
        } catch (RepositoryException e) {
            if (e.code() == FindingCode.REPO_THRESHOLD_UNMET) {
                return false;
            }
            throw new IOException("staged " + role.id() + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code staged/NAME} and says what it still needs. */
    Pending stage(Current cur, Role role, String name, byte[] bytes) throws IOException {
        Files.createDirectories(files.stagedDir());
        RepositoryFiles.write(files.stagedDir(), name, bytes);
        return pending(cur, role, name, bytes);
    }

    /** What staged {@code bytes} still need: per key set, the missing signature count and the key ids not signed yet. */
    private Pending pending(Current cur, Role role, String name, byte[] bytes) throws IOException {
        try {
            Metadata m = Metadata.parse(name, bytes, role.id());
            Set<String> signedIds = new HashSet<>();
            m.signatures().forEach(x -> signedIds.add(x.keyId()));
            List<String> needs = new ArrayList<>();
            List<Metadata> sets = role == Role.ROOT ? List.of(cur.root(), m) : List.of(cur.root());
            for (Metadata delegator : sets) {
                Metadata.Role r = delegator.role(name, role.id());
                List<String> missing = r.keyIds().stream().filter(id -> !signedIds.contains(id)).toList();
                int more = r.threshold() - (r.keyIds().size() - missing.size());
                if (more > 0) {
                    needs.add(more + " more signature(s) by " + (role == Role.ROOT ? "root version " + delegator.version() + "'s root keys"
                            : "the targets keys") + " " + missing);
                }
            }
            return new Pending(role.id(), name, m.version(), needs.isEmpty() ? "nothing" : String.join("; ", needs));
        } catch (RepositoryException e) {
            throw new IOException("staged/" + name + ": " + e.getMessage(), e);
        }
    }

    /** {@link TufRepository#sign}: one holder's signature added to the staged metadata of {@code role}, published when complete. */
    Signing sign(Role role, PrivateKey key, PublicKey publicKey, Duration snapshotExpiry, Duration timestampExpiry)
            throws IOException, PolicyException {
        if (role != Role.ROOT && role != Role.TARGETS) {
            throw new PolicyException("the " + role.id() + " role is signed online by repo add and repo timestamp with the keys of --keys;"
                    + " repo sign completes root and targets");
        }
        Current cur = files.current();
        Path f = null;
        for (Pending p : staged()) {
            if (p.role().equals(role.id())) {
                f = files.stagedDir().resolve(p.file());
            }
        }
        if (f == null) {
            throw new PolicyException("nothing staged for the " + role.id() + " role in " + files.stagedDir()
                    + (role == Role.ROOT ? " (veripack repo rotate-root stages a new root)" : " (repo add stages targets when --keys lacks targets keys)"));
        }
        String name = f.getFileName().toString();
        byte[] bytes = Files.readAllBytes(f);
        Metadata m;
        try {
            m = Metadata.parse(name, bytes, role.id());
        } catch (RepositoryException e) {
            throw new PolicyException("staged/" + name + ": " + e.getMessage(), e);
        }
        TufKey tk;
        try {
            tk = TufKey.of(publicKey);
        } catch (IllegalArgumentException e) {
            throw new PolicyException(e.getMessage(), e);
        }
        Map<String, TufKey> allowed = new LinkedHashMap<>(MetadataSigner.roleKeys(cur.root().signed(), role));
        if (role == Role.ROOT) {
            allowed.putAll(MetadataSigner.roleKeys(m.signed(), role));
        }
        List<Metadata.Sig> sigs = new ArrayList<>(m.signatures());
        boolean listed = false;
        for (Map.Entry<String, TufKey> e : allowed.entrySet()) {
            if (e.getValue().equals(tk)) {
                listed = true;
                sigs.removeIf(x -> x.keyId().equals(e.getKey()));
                sigs.add(MetadataSigner.signature(e.getKey(), e.getValue(), key, m.canonicalSigned(), role));
            }
        }
        if (!listed) {
            throw new PolicyException("key " + tk.keyId() + " is not a " + role.id() + " key of staged/" + name);
        }
        byte[] signed = Metadata.document(m.signed(), sigs);
        if (!tk.verifies(m.canonicalSigned(), sigs.get(sigs.size() - 1).value())) {
            throw new PolicyException("the key's signature does not verify with its public key: the private and public key differ");
        }
        RepositoryFiles.write(files.stagedDir(), name, signed);
        if (!complete(cur, role, signed)) {
            return new Signing(name, pending(cur, role, name, signed));
        }
        publish(cur, role, name, signed, snapshotExpiry, timestampExpiry);
        return new Signing(name, null);
    }

    /**
     * Publishes complete root or targets metadata: a root as {@code metadata/N.root.json}, then the targets re-signed
     * when their keys changed, and a new snapshot and timestamp signed by the new root's keys (§5.3.11); targets with a
     * new snapshot and timestamp. The staged file, if any, is removed last.
     */
    void publish(Current cur, Role role, String name, byte[] bytes, Duration snapshotExpiry, Duration timestampExpiry)
            throws IOException, PolicyException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        long nextTargets = files.nextTargets(cur);
        if (role == Role.ROOT) {
            Metadata m;
            try {
                m = Metadata.parse(name, bytes, "root");
            } catch (RepositoryException e) {
                throw new IOException(e.getMessage(), e);
            }
            ObjectNode root = m.signed();
            byte[] targetsBytes;
            long tv = cur.targets().version();
            boolean targetsKeysKept = root.path("roles").path("targets").equals(cur.root().signed().path("roles").path("targets"));
            if (targetsKeysKept) {
                targetsBytes = Files.readAllBytes(files.metadataDir().resolve(tv + ".targets.json"));
            } else { // new targets keys: the current targets re-signed by them (§5.6.3 checks the new root's keys)
                ObjectNode targets = cur.targets().signed().deepCopy();
                tv = nextTargets;
                targets.put("version", tv);
                targetsBytes = signer.sign(root, targets, Role.TARGETS);
            }
            out.put(name, bytes);
            out.putAll(publication.files(root, targetsBytes, tv, snapshotExpiry, timestampExpiry, files.nextSnapshot(cur),
                    files.nextTimestamp(cur)));
            if (targetsKeysKept) {
                out.remove(tv + ".targets.json"); // unchanged: already published
            }
        } else {
            out.putAll(publication.files(cur.root().signed(), bytes, nextTargets, snapshotExpiry, timestampExpiry,
                    files.nextSnapshot(cur), files.nextTimestamp(cur)));
            if (!out.containsKey(name)) {
                throw new PolicyException("staged/" + name + " is not the next targets version " + nextTargets);
            }
        }
        files.writeAll(out);
        Files.deleteIfExists(files.stagedDir().resolve(name));
    }
}
