package org.veripack.node;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code veripack status} shows, read from the symlinks (the truth) and the sealed state.
 *
 * @param active           slot {@code current} points at, if any
 * @param previous         slot {@code previous} points at, if any: the rollback target (empty when the link is bad, see previousProblem)
 * @param highestActivated package name to the highest version ever activated (the anti-rollback floor)
 * @param lastVerification last verification document ({@code time, event, slot, verdict, findings}), or null
 * @param previousProblem  why the {@code previous} link is invalid (dangling, not a symlink, outside
 *                         {@code slots/}), or null when it is absent or valid
 * @param product          the package name this node runs (fixed by the first activation), or null before it
 * @param rolledBackFrom   the version a rollback left to reach the active version (then there is no rollback target
 *                         until the next install), or null when the active version was installed
 */
public record NodeStatus(Optional<SlotInfo> active, Optional<SlotInfo> previous, Map<String, String> highestActivated,
                         JsonNode lastVerification, String previousProblem, String product, String rolledBackFrom) {
    public NodeStatus {
        highestActivated = Map.copyOf(highestActivated);
    }
}
