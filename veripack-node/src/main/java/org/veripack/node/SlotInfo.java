package org.veripack.node;

import java.time.Instant;
import org.veripack.core.PackageIdentity;

/**
 * An installed slot as sealed: identity, signer, install time.
 *
 * @param slot          slot directory name under {@code NODE/slots}
 * @param identity      signed name/version/provider
 * @param signer        signer certificate subject (RFC 4514), or null
 * @param installedAt   when the node sealed it (injected clock)
 * @param packageSha256 hex SHA-256 of the package file, or null
 */
public record SlotInfo(String slot, PackageIdentity identity, String signer, Instant installedAt, String packageSha256) { }
