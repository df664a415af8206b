package org.veripack.core;

/** Kind of an artifact entry in a package. */
public enum ArtifactType {
    /** A regular file; its digest is over its bytes. */
    FILE,
    /** A symbolic link; its digest is over the UTF-8 bytes of its target path, as git hashes a link
     *  (docs/signed-metadata.md "Modes, directories and links"). */
    SYMLINK,
    /** A directory (not digested; carries its mode only). */
    DIRECTORY
}
