package org.veripack.core.internal.cms;

import java.security.cert.PolicyNode;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.veripack.core.TrustPolicy;

/** Reads the valid_policy_tree a PKIX validator returned (RFC 5280 §6.1.5 (g), §6.1.6); decides nothing. */
final class PolicyTree {
    private PolicyTree() { }

    /**
     * The user-constrained-policy-set: the valid_policy of every node whose parent is anyPolicy and that has
     * a descendant at depth {@code n} (the policies in the trust anchor's terms, before any mapping), limited
     * to {@code initial} unless it is any-policy; an anyPolicy node at depth {@code n} stands for
     * {@code initial} (anyPolicy when that is any-policy). Sorted; empty for a null tree.
     *
     * @param n the number of certificates on the path below the trust anchor
     */
    static List<String> validPolicies(PolicyNode root, int n, Set<String> initial) {
        Set<String> out = new TreeSet<>();
        if (root != null) {
            boolean anyInitial = initial.isEmpty() || initial.contains(TrustPolicy.ANY_POLICY);
            collect(root, n, anyInitial, initial, out);
        }
        return List.copyOf(out);
    }

    /** Adds the user-constrained policies under {@code node}; returns whether it has a node at depth n. */
    private static boolean collect(PolicyNode node, int n, boolean anyInitial, Set<String> initial, Set<String> out) {
        boolean reaches = node.getDepth() == n;
        for (var it = node.getChildren(); it.hasNext(); ) {
            reaches |= collect(it.next(), n, anyInitial, initial, out);
        }
        PolicyNode parent = node.getParent();
        if (!reaches || parent == null || !TrustPolicy.ANY_POLICY.equals(parent.getValidPolicy())) {
            return reaches;
        }
        String p = node.getValidPolicy();
        if (!TrustPolicy.ANY_POLICY.equals(p)) {
            if (anyInitial || initial.contains(p)) {
                out.add(p);
            }
        } else if (node.getDepth() == n) {
            out.addAll(anyInitial ? Set.of(TrustPolicy.ANY_POLICY) : initial);
        }
        return true;
    }
}
