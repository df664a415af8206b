package org.veripack.node.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Garbage collection of slots (docs/node.md "Install sequence"): after an activation, a rollback or a recovery, every
 * slot directory under {@code slots/} and every sealed record under {@code state/slots/} that the activation state
 * does not reference ({@link ActivationState#referencedSlots}: {@code current} and {@code previous}) is deleted.
 */
public final class SlotCollector {
    private final NodeLayout layout;
    private final StateStore state;
    private final ActivationState activation;

    public SlotCollector(NodeLayout layout, StateStore state, ActivationState activation) {
        this.layout = layout;
        this.state = state;
        this.activation = activation;
    }

    /** Deletes the slots and sealed records neither {@code current} nor {@code previous} names. */
    public void collect() throws IOException {
        collect(activation.referencedSlots());
    }

    /** Deletes slots and sealed records not in {@code keep}; returns notes. */
    public List<String> collect(Set<String> keep) throws IOException {
        List<String> notes = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(layout.slots())) {
            for (Path s : ds) {
                String name = s.getFileName().toString();
                if (!keep.contains(name)) {
                    DurableFiles.deleteTree(s);
                    if (NodeLayout.isSlotName(name)) {
                        state.deleteRecord(name);
                    }
                    notes.add("discarded unreferenced slot " + name);
                }
            }
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(layout.stateSlots(), "*.{json,mf,package}")) {
            for (Path f : ds) {
                String n = f.getFileName().toString();
                String slot = n.substring(0, n.lastIndexOf('.'));
                if (!keep.contains(slot)) {
                    Files.deleteIfExists(f);
                    notes.add("discarded record " + n);
                }
            }
        }
        if (!notes.isEmpty()) {
            DurableFiles.fsync(layout.slots());
            DurableFiles.fsync(layout.stateSlots());
        }
        return notes;
    }
}
