package org.veripack.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The {@code veripack verify} options of the Debian repository chain (docs/guide.md "Verify through the Debian channel"),
 * a picocli mixin: {@code --apt-release InRelease [--apt-release-sig Release.gpg] --apt-packages PACKAGES
 * (--keyring KEYRING ... | --policy P) PKG.deb}. {@code --keyring} (in {@code VerifyCommand}'s exclusive
 * trust group beside {@code --trust}/{@code --policy}) means a trust policy holding only those OpenPGP
 * keyrings and every default.
 */
final class AptOptions {
    @Option(names = "--apt-release", paramLabel = "INRELEASE",
            description = "Debian InRelease (clearsigned), or Release when --apt-release-sig is given")
    Path release;

    @Option(names = "--apt-release-sig", paramLabel = "RELEASE.GPG",
            description = "detached OpenPGP signature of --apt-release (Release.gpg, binary or armored)")
    Path releaseSignature;

    @Option(names = "--apt-packages", paramLabel = "PACKAGES",
            description = "Packages index listed in the Release (plain, .gz, .xz or .lz4)")
    Path packages;

    /** Whether any apt option was given (then the verify command runs the apt chain). */
    boolean requested() {
        return release != null || releaseSignature != null || packages != null;
    }
}
