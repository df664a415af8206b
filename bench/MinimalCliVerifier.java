import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The minimal CLI verifier of bench/run.sh (case {@code minimal}): {@link MinimalVerifier}'s work behind a
 * command line built with picocli, the library Veripack's command line uses (and the project's rule for
 * command lines), declared the way Veripack declares its commands (annotations, standard help options).
 * What it costs over {@code MinimalVerifier} is the price of that library in a short-lived process; a target
 * this row misses cannot be met by a Java verifier with a picocli command line on the machine.
 *
 * <p>Usage: {@code java -cp DIR MinimalCliVerifier --trust CA.pem --cert SIGNER.pem --signature SIGNATURE
 * --data DATA FILE} (picocli's classes on the class path; bench/run.sh takes them from the CLI's jar).
 */
@Command(name = "minimal-verify", mixinStandardHelpOptions = true, version = "bench",
        description = "Hash FILE and check one certificate path and one signature (bench/run.sh).")
public final class MinimalCliVerifier implements Callable<Integer> {
    @Option(names = "--trust", paramLabel = "CA.pem", required = true, description = "Trust anchor (PEM).")
    Path trust;

    @Option(names = "--cert", paramLabel = "SIGNER.pem", required = true, description = "Signer certificate (PEM).")
    Path cert;

    @Option(names = "--signature", paramLabel = "SIG", required = true, description = "DER ECDSA signature over DATA.")
    Path signature;

    @Option(names = "--data", paramLabel = "DATA", required = true, description = "The signed bytes.")
    Path data;

    @Parameters(index = "0", paramLabel = "FILE", description = "The file to hash.")
    Path file;

    @Override
    public Integer call() throws Exception {
        MinimalVerifier.main(new String[] {file.toString(), trust.toString(), cert.toString(), signature.toString(),
            data.toString()});
        return 0;
    }

    public static void main(String[] args) {
        System.setProperty("picocli.disable.closures", "true");   // as Veripack's Main does (start-up)
        System.exit(new CommandLine(new MinimalCliVerifier()).execute(args));
    }
}
