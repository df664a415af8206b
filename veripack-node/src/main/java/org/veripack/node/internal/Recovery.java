package org.veripack.node.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.veripack.node.AuditEvent;
import org.veripack.node.AuditLog;

/**
 * Crash recovery (docs/node.md "Install sequence"): what every command runs first when it gets the node lock, so a
 * crash, {@code kill -9} or I/O failure at any step of install, activation or rollback leaves a node whose
 * {@code current} names a complete, sealed slot and whose state agrees with it (FaultMatrixTest, CrashConsistencyTest).
 */
public final class Recovery {
    private final NodeLayout layout;
    private final ActivationState activation;
    private final SlotCollector collector;
    private final AuditLog audit;

    public Recovery(NodeLayout layout, StateStore state, ActivationState activation, AuditLog audit) {
        this.layout = layout;
        this.activation = activation;
        this.collector = new SlotCollector(layout, state, activation);
        this.audit = audit;
    }

    /**
     * Recovery, run under the lock at the start of every command: empties staging, removes temp files,
     * restores {@code previous} if a crash hit between the two symlink renames, finishes a completed
     * activation the state does not know yet (version floor, active slot; {@link ActivationState#recover}), discards
     * slots and records that nothing references ({@link SlotCollector}). Audits one {@code recovery} event when it changed anything.
     *
     * @return what it did (empty when the node was clean)
     */
    public List<String> recover() throws IOException {
        List<String> notes = new ArrayList<>();
        int staged = emptyDirectory(layout.staging());
        if (staged > 0) {
            notes.add("emptied staging (" + staged + " entries)");
        }
        Files.setPosixFilePermissions(layout.staging(), PosixFilePermissions.fromString("rwx------"));
        for (Path dir : List.of(layout.root(), layout.state(), layout.stateSlots())) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.tmp-*")) {
                for (Path t : ds) {
                    DurableFiles.deleteTree(t);
                    notes.add("removed temporary " + layout.root().relativize(t));
                }
            }
        }
        Optional<String> current = activation.current();
        Set<String> keep = activation.recover(notes);
        notes.addAll(collector.collect(keep));
        if (!notes.isEmpty()) {
            audit.append(new AuditEvent(AuditEvent.Type.RECOVERY, null, null, current.orElse(null), null, List.of(), String.join("; ", notes)));
        }
        return notes;
    }

    private static int emptyDirectory(Path dir) throws IOException {
        int n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                DurableFiles.deleteTree(p);
                n++;
            }
        }
        if (n > 0) {
            DurableFiles.fsync(dir);
        }
        return n;
    }
}
