import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The bare-hash baseline of bench/run.sh: what any Java program that hashes a file costs on this machine
 * (JVM start, the JDK's SHA-256 over the file, nothing else). It reads the file through a FileChannel into
 * one direct ByteBuffer and hands the buffer to the JDK's MessageDigest, as Veripack's own hashing loop
 * (ChannelDigest) does; 64 KiB by default, the size Veripack uses (a 1 MiB buffer costs three times the
 * system time on the benchmark machine: bench/README.md). Prints the lower-case hex digest.
 *
 * <p>Usage: {@code java -cp DIR BareHash FILE [BUFFER_KIB]} (compiled by bench/run.sh with javac).
 */
public final class BareHash {
    public static void main(String[] args) throws Exception {
        int bufferBytes = (args.length > 1 ? Integer.parseInt(args[1]) : 64) * 1024;
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        ByteBuffer buf = ByteBuffer.allocateDirect(bufferBytes);
        try (FileChannel ch = FileChannel.open(Path.of(args[0]))) {
            while (ch.read(buf.clear()) >= 0) {
                md.update(buf.flip());
            }
        }
        System.out.println(HexFormat.of().formatHex(md.digest()));
    }
}
