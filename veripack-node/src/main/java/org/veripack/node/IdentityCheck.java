package org.veripack.node;

import java.util.Optional;
import org.veripack.core.Finding;
import org.veripack.core.PackageIdentity;

/**
 * What the caller of {@link Node#install(java.nio.file.Path, org.veripack.core.RevocationSource, IdentityCheck)} claims
 * about the package, checked against the package's own signed identity once it is verified and before anything is
 * committed to a slot: a finding refuses the install ({@code install.rejected}, {@code current} untouched). The node's
 * update uses it for the repository's claims about the target (docs/repository.md "The node's update").
 */
@FunctionalInterface
public interface IdentityCheck {
    /** No claim: every verified identity passes. */
    IdentityCheck NONE = verified -> Optional.empty();

    /** The refusal for {@code verified} (the ACCEPTED report's identity), or empty when it is what the caller expects. */
    Optional<Finding> check(PackageIdentity verified);
}
