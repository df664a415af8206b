package org.veripack.core.pki;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the {@code openssl} command (the interop peer) in a directory and captures its result. */
public final class Openssl {
    private Openssl() { }

    /** Exit code and combined output of one openssl run. */
    public record Result(int exitCode, String output) {
        public boolean ok() { return exitCode == 0; }
    }

    /** Runs {@code openssl args...} in {@code dir} with a 60 s limit. */
    public static Result run(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("openssl timed out: " + cmd);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** Like {@link #run} but fails with the output when openssl exits non-zero. */
    public static String ok(Path dir, String... args) throws IOException, InterruptedException {
        Result r = run(dir, args);
        if (!r.ok()) {
            throw new AssertionError("openssl " + String.join(" ", args) + " failed (" + r.exitCode() + "):\n" + r.output());
        }
        return r.output();
    }
}
