package org.veripack.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.veripack.core.PolicyException;
import org.veripack.repo.RepositoryKeys;
import picocli.CommandLine.Option;

/**
 * A repository key on a PKCS#11 token (an HSM, SoftHSM2 in the tests), as {@code sign --pkcs11}: it signs for
 * the roles whose root lists it, beside the keys of {@code --keys} (docs/repository.md "Keys on a token").
 */
final class RepoTokenOptions {
    @Option(names = "--pkcs11", paramLabel = "CONFIG",
            description = "SunPKCS11 configuration of a token holding a repository key (ECDSA P-256), as sign --pkcs11")
    Path pkcs11;

    @Option(names = "--key-label", paramLabel = "L",
            description = "with --pkcs11: label of the key on the token (which holds its certificate with the same CKA_ID)")
    String keyLabel;

    @Option(names = "--key-pass", paramLabel = "PIN", description = "with --pkcs11: the token user PIN: 'pass:TEXT', 'env:VAR' or 'file:PATH'")
    String keyPass;

    /** The token's key, or null without {@code --pkcs11}. */
    RepositoryKeys.Token token() throws PolicyException, VerifyCommand.UsageError, IOException {
        if (pkcs11 == null) {
            if (keyLabel != null || keyPass != null) {
                throw new VerifyCommand.UsageError("--key-label and --key-pass go with --pkcs11");
            }
            return null;
        }
        if (keyLabel == null) {
            throw new VerifyCommand.UsageError("--pkcs11 needs --key-label");
        }
        VerifyCommand.requireFile(pkcs11, "--pkcs11");
        return RepositoryKeys.Token.fromPkcs11(pkcs11, keyLabel, SignCommand.secret(keyPass));
    }

    /** The keys of {@code keyDir} and the token's. */
    RepositoryKeys keys(Path keyDir) throws PolicyException, VerifyCommand.UsageError, IOException {
        RepositoryKeys k = loadKeys(keyDir);
        RepositoryKeys.Token t = token();
        if (t != null) {
            k.add(t);
        }
        return k;
    }

    /** The keys of {@code keyDir}; one {@code warning:} line on stderr when group or others may read a key file. */
    static RepositoryKeys loadKeys(Path keyDir) throws PolicyException, IOException {
        RepositoryKeys k = RepositoryKeys.load(keyDir);
        if (!k.readableByOthers().isEmpty()) {
            System.err.println("veripack repo: warning: private key file readable by group or others (chmod 600): "
                    + k.readableByOthers().stream().map(Path::toString).collect(java.util.stream.Collectors.joining(", ")));
        }
        return k;
    }
}
